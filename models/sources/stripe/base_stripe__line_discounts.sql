{#-
    The discount on each counted subscription line, in minor units (rule 3 of
    _stripe__models.yml). A subscription discount applies to a line of its subscription
    whose period_start is in [start, end); its coupon counts when its duration is
    forever, or any duration with discounts_reducing_mrr = all. percent_off takes
    round(amount x percent_off / 100); amount_off (same currency) is shared over the
    subscription's applicable lines on the invoice in proportion to their amounts.
    coupon and subscription_discount are optional: both or neither (no discounts).
-#}
{%- set coupons_relation = source('stripe', 'coupon') %}
{%- set discounts_relation = source('stripe', 'subscription_discount') %}
{%- set has_coupons = connector_table_exists(coupons_relation) %}
{%- set has_discounts = connector_table_exists(discounts_relation) %}
{%- if has_coupons != has_discounts %}
    {{ exceptions.raise_compiler_error(
        "Stripe discounts: " ~ (coupons_relation if has_coupons else discounts_relation)
        ~ " exists but " ~ (discounts_relation if has_coupons else coupons_relation)
        ~ " does not; sync both tables (or neither: no discounts)") }}
{%- endif %}
{%- set string = dbt.type_string() %}
{%- set timestamp = dbt.type_timestamp() %}
{%- set coupons_sql = ('select * from ' ~ coupons_relation) if has_coupons else (
    'select cast(null as ' ~ string ~ ') as id, cast(null as ' ~ string ~ ') as duration, '
    ~ 'cast(null as double) as percent_off, cast(null as double) as amount_off, '
    ~ 'cast(null as ' ~ string ~ ') as currency where 1 = 0') %}
{%- set discounts_sql = ('select * from ' ~ discounts_relation) if has_discounts else (
    'select cast(null as ' ~ string ~ ') as id, cast(null as ' ~ string ~ ') as coupon_id, '
    ~ 'cast(null as ' ~ string ~ ') as subscription_id, cast(null as ' ~ timestamp
    ~ ') as start, cast(null as ' ~ timestamp ~ ') as ' ~ adapter.quote('end') ~ ' where 1 = 0') %}
{%- set every_coupon_counts = 'true' if var('discounts_reducing_mrr') == 'all' else 'false' %}

with

lines as (
    select * from {{ ref('base_stripe__subscription_lines') }}
),

coupons as (
    {#- without the optional tables: empty relations of the columns read (no discounts) #}
    {{ coupons_sql }}
),

subscription_discounts as (
    {{ discounts_sql }}
),

counted_discounts as (
    select
        cast(subscription_discounts.id as {{ dbt.type_string() }}) as discount_id,
        cast(subscription_discounts.subscription_id as {{ dbt.type_string() }})
            as subscription_id,
        cast(subscription_discounts.start as {{ dbt.type_timestamp() }}) as starts_at,
        cast(subscription_discounts.{{ adapter.quote('end') }} as {{ dbt.type_timestamp() }})
            as ends_at,
        cast(coupons.percent_off as double) as percent_off,
        cast(coupons.amount_off as double) as amount_off,
        upper(trim(coupons.currency)) as coupon_currency
    from subscription_discounts
    inner join coupons
        on
            cast(subscription_discounts.coupon_id as {{ dbt.type_string() }})
            = cast(coupons.id as {{ dbt.type_string() }})
    where lower(trim(coupons.duration)) = 'forever' or {{ every_coupon_counts }}
),

applied as (
    select
        lines.line_id,
        lines.amount_minor,
        counted_discounts.percent_off,
        counted_discounts.amount_off,
        sum(lines.amount_minor) over (
            partition by counted_discounts.discount_id, lines.invoice_id
        ) as amount_off_base
    from lines
    inner join counted_discounts
        on
            lines.subscription_id = counted_discounts.subscription_id
            and lines.period_start_at >= counted_discounts.starts_at
            and (
                counted_discounts.ends_at is null
                or lines.period_start_at < counted_discounts.ends_at
            )
    where
        counted_discounts.percent_off is not null
        or (
            counted_discounts.amount_off is not null
            and counted_discounts.coupon_currency = lines.currency
        )
),

per_discount as (
    select
        line_id,
        case
            when percent_off is not null
                {#- the product exact in decimal (a half is never lost to binary) #}
                then round(
                    cast(amount_minor as decimal(38, 0)) * cast(percent_off as decimal(9, 4))
                    / 100, 0
                )
            when amount_off_base > 0
                then round(amount_off * amount_minor / amount_off_base, 0)
            else 0
        end as discount_minor
    from applied
),

final as (
    select
        line_id,
        cast(sum(discount_minor) as double) as discount_minor
    from per_discount
    group by 1
)

select * from final
