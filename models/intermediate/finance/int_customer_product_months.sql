{#-
    Product state of a customer at the end of each month: the items active on the
    month's last day (valid_from <= month_end_date and valid_to empty or later).
-#}
with

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

plan_tiers as (
    select * from {{ ref('plan_tiers') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

countable_items as (
    {#- Quarantined items (unknown customer, no fx rate) stay out of MRR. -#}
    select
        subscription_items.customer_id,
        subscription_items.product,
        subscription_items.pricing_model,
        subscription_items.quantity,
        subscription_items.mrr,
        subscription_items.valid_from,
        subscription_items.valid_to,
        plan_tiers.tier_rank
    from subscription_items
    inner join customers
        on subscription_items.customer_id = customers.customer_id
    left join plan_tiers
        on subscription_items.plan_tier = plan_tiers.plan_tier
    where
        subscription_items.mrr is not null
        and (
            {{ var('include_usage_in_mrr') }}
            or not subscription_items.is_usage
        )
),

active_items as (
    select
        calendar_months.month,
        calendar_months.next_month,
        countable_items.customer_id,
        countable_items.product,
        countable_items.pricing_model,
        countable_items.quantity,
        countable_items.mrr,
        countable_items.tier_rank
    from countable_items
    inner join calendar_months
        on
            countable_items.valid_from <= calendar_months.month_end_date
            and (
                countable_items.valid_to is null
                or countable_items.valid_to > calendar_months.month_end_date
            )
),

final as (
    select
        month,
        next_month,
        customer_id,
        product,
        max(pricing_model) as pricing_model,
        sum(mrr) as product_mrr,
        max(tier_rank) as tier_rank,
        coalesce(sum(quantity), 0) as quantity
    from active_items
    group by 1, 2, 3, 4
)

select * from final
