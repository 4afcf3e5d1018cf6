{#-
    Subscription items that count in MRR, one row per item: a known customer, an MRR in
    the reporting currency (an fx rate, within the supported range), valid_from on or
    after earliest_date (quarantined items stay out), and usage lines only while
    include_usage_in_mrr is true.
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

final as (
    select
        subscription_items.subscription_item_id,
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
        and subscription_items.valid_from >= cast('{{ var("earliest_date") }}' as date)
        and (
            {{ var('include_usage_in_mrr') }}
            or not subscription_items.is_usage
        )
)

select * from final
