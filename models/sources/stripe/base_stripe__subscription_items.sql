{#-
    The raw contract's subscription_items from Stripe: the mapped versions of
    base_stripe__subscription_items_mapped that have no quarantine reason, with exactly
    the contract's columns and types.
-#}
with

mapped as (
    select * from {{ ref('base_stripe__subscription_items_mapped') }}
),

final as (
    select
        cast(subscription_item_id as {{ dbt.type_string() }}) as subscription_item_id,
        cast(subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(product as {{ dbt.type_string() }}) as product,
        cast(plan_tier as {{ dbt.type_string() }}) as plan_tier,
        cast(pricing_model as {{ dbt.type_string() }}) as pricing_model,
        cast(quantity as double) as quantity,
        cast(amount as double) as amount,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(billing_interval as {{ dbt.type_string() }}) as billing_interval,
        cast(interval_count as {{ dbt.type_bigint() }}) as interval_count,
        cast(valid_from as date) as valid_from,
        cast(valid_to as date) as valid_to,
        {#- not mapped yet: trials, cancellations and temporary discounts (the contract's
            optional billing-policy columns) -#}
        cast(null as date) as trial_end,
        cast(null as date) as canceled_at,
        cast(null as double) as list_amount,
        cast(null as date) as discount_end
    from mapped
    where quarantine_reason is null
)

select * from final
