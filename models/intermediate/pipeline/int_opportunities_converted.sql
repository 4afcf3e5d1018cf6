{#-
    Opportunities with their ARR in the reporting currency at constant currency: one row
    per opportunity of stg_crm__opportunities, at its currency's rate in
    int_constant_currency_rates. Definitions in _pipeline__models.yml.
-#}
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

constant_rates as (
    select * from {{ ref('int_constant_currency_rates') }}
),

with_rates as (
    select
        opportunities.*,
        constant_rates.rate_to_reporting as fx_rate_to_reporting
    from opportunities
    left join constant_rates
        on opportunities.currency = constant_rates.currency
),

final as (
    select
        *,
        {{ bounded_amount('arr_local * fx_rate_to_reporting') }} as arr
    from with_rates
)

select * from final
