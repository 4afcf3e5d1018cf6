{#-
    The raw contract's subscription_items from Stripe: the mapped versions of
    base_stripe__subscription_items_mapped that have no quarantine reason, with exactly
    the contract's columns and types. canceled_at is the date of the subscription's
    canceled_at (the customer's request), on every item of the subscription.
-#}
with

mapped as (
    select * from {{ ref('base_stripe__subscription_items_mapped') }}
),

subscriptions as (
    select * from {{ ref('base_stripe__subscriptions') }}
),

final as (
    select
        cast(mapped.subscription_item_id as {{ dbt.type_string() }}) as subscription_item_id,
        cast(mapped.subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(mapped.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(mapped.product as {{ dbt.type_string() }}) as product,
        cast(mapped.plan_tier as {{ dbt.type_string() }}) as plan_tier,
        cast(mapped.pricing_model as {{ dbt.type_string() }}) as pricing_model,
        cast(mapped.quantity as double) as quantity,
        cast(mapped.amount as double) as amount,
        cast(mapped.currency as {{ dbt.type_string() }}) as currency,
        cast(mapped.billing_interval as {{ dbt.type_string() }}) as billing_interval,
        cast(mapped.interval_count as {{ dbt.type_bigint() }}) as interval_count,
        cast(mapped.valid_from as date) as valid_from,
        cast(mapped.valid_to as date) as valid_to,
        {#- trial lines are left out instead (the adapter's rule 2); amounts are already
            net of the coupons that count (rule 3) -#}
        cast(null as date) as trial_end,
        cast(subscriptions.canceled_at as date) as canceled_at,
        cast(null as double) as list_amount,
        cast(null as date) as discount_end
    from mapped
    left join subscriptions
        on mapped.subscription_id = subscriptions.subscription_id
    where mapped.quarantine_reason is null
)

select * from final
