{#-
    Scheduled churn: per customer, the MRR at the end of the last reporting month of its
    counted items whose cancellation was asked for on or before as_of_date. Definitions
    in _finance__models.yml.
-#}
with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

last_month as (
    select max(month_end_date) as month_end_date
    from reporting_months
),

final as (
    select
        countable_items.customer_id,
        sum(
            {{ counted_item_mrr('countable_items', 'last_month.month_end_date') }}
        ) as scheduled_churn_mrr
    from countable_items
    cross join last_month
    where
        countable_items.canceled_at <= {{ as_of_date() }}
        and {{ item_counts_on('countable_items', 'last_month.month_end_date') }}
    group by 1
)

select * from final
