{#-
    Renewals: one row per customer, product and month in which some of its term items
    reach the end of a term, with the MRR up for renewal and, for months already
    reported, what it became: the product's MRR at the end of the month before and at the
    end of the renewal month, from the same items and policies. Definitions in
    _finance__models.yml.
-#}
with

term_ends as (
    select * from {{ ref('int_subscription_term_ends') }}
),

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

renewing_products as (
    select
        customer_id,
        product,
        renewal_month,
        is_upcoming,
        sum(renewing_mrr) as available_mrr
    from term_ends
    group by 1, 2, 3, 4
),

renewal_month_ends as (
    select
        *,
        cast({{ dbt.dateadd('day', -1, 'renewal_month') }} as date) as before_date,
        cast({{ dbt.last_day('renewal_month', 'month') }} as date) as after_date
    from renewing_products
),

product_states as (
    {#- the product's MRR (all its items, renewing or not) before and after -#}
    select
        renewal_month_ends.customer_id,
        renewal_month_ends.product,
        renewal_month_ends.renewal_month,
        renewal_month_ends.is_upcoming,
        renewal_month_ends.available_mrr,
        coalesce(sum(
            case
                when {{ item_counts_on('countable_items', 'renewal_month_ends.before_date') }}
                    then {{ counted_item_mrr('countable_items', 'renewal_month_ends.before_date') }}
                else 0
            end
        ), 0) as before_mrr,
        coalesce(sum(
            case
                when {{ item_counts_on('countable_items', 'renewal_month_ends.after_date') }}
                    then {{ counted_item_mrr('countable_items', 'renewal_month_ends.after_date') }}
                else 0
            end
        ), 0) as after_mrr
    from renewal_month_ends
    left join countable_items
        on
            renewal_month_ends.customer_id = countable_items.customer_id
            and renewal_month_ends.product = countable_items.product
    group by 1, 2, 3, 4, 5
),

outcomes as (
    {#-
        Renewed = the product's MRR after, less the part of it that was not up for
        renewal (before - available), never below 0; upcoming months have no outcome.
    -#}
    select
        *,
        case
            when not is_upcoming
                then greatest(
                    after_mrr - greatest(before_mrr - available_mrr, 0), 0
                )
        end as renewed_mrr
    from product_states
),

final as (
    select
        customer_id,
        product,
        renewal_month,
        is_upcoming,
        available_mrr,
        before_mrr,
        after_mrr,
        renewed_mrr,
        case
            when not is_upcoming
                then case when renewed_mrr = 0 then available_mrr else 0 end
        end as churned_mrr,
        case
            when not is_upcoming
                then
                    case
                        when renewed_mrr > 0 and renewed_mrr < available_mrr
                            then available_mrr - renewed_mrr
                        else 0
                    end
        end as contracted_mrr,
        case
            when not is_upcoming
                then
                    case
                        when renewed_mrr > available_mrr then renewed_mrr - available_mrr
                        else 0
                    end
        end as expanded_mrr
    from outcomes
)

select * from final
