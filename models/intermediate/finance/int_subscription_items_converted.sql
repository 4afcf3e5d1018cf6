{#-
    Subscription item versions with their MRR in the reporting currency at constant
    currency: one row per item version of stg_billing__subscription_items, at its
    currency's rate in int_constant_currency_rates. Definitions in _finance__models.yml.
-#}
with

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

constant_rates as (
    select * from {{ ref('int_constant_currency_rates') }}
),

with_rates as (
    select
        subscription_items.*,
        constant_rates.rate_to_reporting as fx_rate_to_reporting
    from subscription_items
    left join constant_rates
        on subscription_items.currency = constant_rates.currency
),

final as (
    select
        *,
        {{ monthly_amount('amount_local * fx_rate_to_reporting') }} as mrr,
        {{ monthly_amount('list_amount_local * fx_rate_to_reporting') }} as list_mrr
    from with_rates
)

select * from final
