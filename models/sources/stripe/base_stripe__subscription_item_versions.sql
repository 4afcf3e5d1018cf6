{#-
    Versions of each Stripe subscription item from its counted invoice lines (rules 3 to
    5 of _stripe__models.yml): a version is a maximal run of consecutive lines (each
    period_start = the previous line's period_end) with the same price, quantity and
    net amount. valid_to is the last line's period_end, cut at the subscription's
    ended_at, and open (null) for the item's last version while the subscription has
    not ended and is billed up to its current period end; never past the start of the
    item's next version (a period restarted early, e.g. a new billing cycle anchor).
-#}
with

lines as (
    select * from {{ ref('base_stripe__subscription_lines') }}
),

line_discounts as (
    select * from {{ ref('base_stripe__line_discounts') }}
),

net_lines as (
    select
        lines.*,
        greatest(lines.amount_minor - coalesce(line_discounts.discount_minor, 0), 0)
            as net_amount_minor
    from lines
    left join line_discounts
        on lines.line_id = line_discounts.line_id
),

changes as (
    select
        *,
        case
            when
                lag(period_end_at) over (
                    partition by stripe_item_id order by period_start_at, line_id
                ) = period_start_at
                and lag(price_id) over (
                    partition by stripe_item_id order by period_start_at, line_id
                ) = price_id
                and lag(quantity) over (
                    partition by stripe_item_id order by period_start_at, line_id
                ) = quantity
                and lag(net_amount_minor) over (
                    partition by stripe_item_id order by period_start_at, line_id
                ) = net_amount_minor
                then 0
            else 1
        end as starts_version
    from net_lines
),

numbered as (
    select
        *,
        sum(starts_version) over (
            partition by stripe_item_id order by period_start_at, line_id
            rows between unbounded preceding and current row
        ) as version_number,
        max(quantity) over (partition by stripe_item_id) as max_item_quantity
    from changes
),

versions as (
    select
        stripe_item_id,
        version_number,
        max(subscription_id) as subscription_id,
        max(customer_id) as customer_id,
        max(price_id) as price_id,
        max(currency) as currency,
        max(quantity) as quantity,
        max(net_amount_minor) as net_amount_minor,
        max(max_item_quantity) as max_item_quantity,
        min(period_start_at) as first_period_start_at,
        max(period_end_at) as last_period_end_at,
        max(ended_at) as ended_at,
        max(current_period_end_at) as current_period_end_at
    from numbered
    group by 1, 2
),

final as (
    select
        stripe_item_id,
        version_number,
        subscription_id,
        customer_id,
        price_id,
        currency,
        quantity,
        net_amount_minor,
        max_item_quantity,
        cast(first_period_start_at as date) as valid_from,
        {#- a version never runs past the start of the item's next one (least skips nulls) #}
        least(
            case
                when ended_at is not null
                    then least(cast(last_period_end_at as date), cast(ended_at as date))
                {#- the item's last version, billed up to the current period: still active #}
                when
                    version_number = max(version_number) over (partition by stripe_item_id)
                    and last_period_end_at >= current_period_end_at
                    then null
                else cast(last_period_end_at as date)
            end,
            lead(cast(first_period_start_at as date)) over (
                partition by stripe_item_id order by version_number
            )
        ) as valid_to
    from versions
)

select * from final
