{#-
    The constant-currency rate of each currency: one row per currency, its latest
    fx_rates rate on or before the rate date of the var fx_rate_policy (macro
    fx_rate_date), crossed through the reporting currency when the table is kept in
    another base. The reporting currency converts at 1. Definitions in
    _finance__models.yml.
-#}
{%- set reporting_currency = var('reporting_currency') | upper %}

with

fx_rates as (
    select * from {{ ref('stg_billing__fx_rates') }}
),

rates_to_date as (
    select * from fx_rates
    where rate_month <= {{ fx_rate_date() }}
),

reporting_rates as (
    select
        rate_month,
        rate_to_reporting
    from rates_to_date
    where currency = '{{ reporting_currency }}'
),

other_base as (
    {#- whether the table gives the reporting currency a rate other than 1 -#}
    select count(*) > 0 as is_kept_in_other_base
    from reporting_rates
    where rate_to_reporting != 1
),

crossed_rates as (
    {#-
        Kept in another base, only months that have the reporting currency's rate cross
        (rates of two bases are never mixed).
    -#}
    select
        rates_to_date.currency,
        rates_to_date.rate_month,
        rates_to_date.rate_to_reporting
        / coalesce(reporting_rates.rate_to_reporting, 1.0) as rate_to_reporting
    from rates_to_date
    cross join other_base
    left join reporting_rates
        on rates_to_date.rate_month = reporting_rates.rate_month
    where
        rates_to_date.currency != '{{ reporting_currency }}'
        and (
            reporting_rates.rate_to_reporting is not null
            or not other_base.is_kept_in_other_base
        )
),

latest_rates as (
    select
        currency,
        max_by(rate_to_reporting, rate_month) as rate_to_reporting
    from crossed_rates
    group by 1
),

final as (
    select * from latest_rates

    union all

    select
        '{{ reporting_currency }}' as currency,
        1.0 as rate_to_reporting
)

select * from final
