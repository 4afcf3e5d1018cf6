{#-
    The raw contract's fx_rates from Salesforce (units of the reporting currency for one
    unit of currency, per month). Salesforce rates are units of the currency per one unit
    of the corporate currency, which must be the reporting currency (checked when the run
    starts: macros/validate_salesforce_currency.sql), so rate_to_reporting =
    1 / conversion_rate.
      - dated_conversion_rate (advanced currency management): month = first day of
        start_date's month; when several rates start in one month the one with the latest
        start_date counts.
      - else currency_type: its conversion_rate, month = first day of earliest_date's month
        (one rate for all time).
      - neither table: no rows (every amount is in the reporting currency).
    A rate that is empty, zero or negative is left out and quarantined.
-#}
with

rates as (
    {{ salesforce_conversion_rates() }}
),

monthly as (
    select
        iso_code as currency,
        cast({{ dbt.date_trunc('month', 'start_date') }} as date) as month,
        conversion_rate,
        row_number() over (
            partition by iso_code, cast({{ dbt.date_trunc('month', 'start_date') }} as date)
            order by start_date desc
        ) as latest_first
    from rates
    where conversion_rate > 0
),

final as (
    select
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(month as date) as month,
        cast(1.0 / conversion_rate as double) as rate_to_reporting
    from monthly
    where latest_first = 1
)

select * from final
