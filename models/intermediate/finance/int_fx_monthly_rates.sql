{#-
    The rate of each currency in each calendar month, for fx_rate_policy historical: one
    row per month and currency. A month's rate is the currency's latest fx_rates rate
    on or before the month's last day, crossed through the reporting currency as
    constant_currency_rates does (a rate table kept in another base); a month before the
    currency's first rate takes its earliest rate. prior_rate_to_reporting is the rate
    of the month before (the month's own for the first calendar month). The reporting
    currency is 1 in every month. Definitions in _finance__models.yml.
-#}
{%- set reporting_currency = var('reporting_currency') | upper %}

with

fx_rates as (
    select * from {{ ref('stg_billing__fx_rates') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

reporting_rates as (
    select
        rate_month,
        rate_to_reporting
    from fx_rates
    where currency = '{{ reporting_currency }}'
),

cross_start as (
    {#- the first month the table gives the reporting currency a rate other than 1 -#}
    select min(rate_month) as first_cross_month
    from reporting_rates
    where rate_to_reporting != 1
),

crossed_rates as (
    select
        fx_rates.currency,
        fx_rates.rate_month,
        fx_rates.rate_to_reporting / coalesce(reporting_rates.rate_to_reporting, 1.0)
            as rate_to_reporting,
        reporting_rates.rate_to_reporting is not null as has_cross
    from fx_rates
    left join reporting_rates
        on fx_rates.rate_month = reporting_rates.rate_month
    where fx_rates.currency != '{{ reporting_currency }}'
),

usable_rates as (
    {#-
        Once the table gives the reporting currency a rate other than 1, only months
        with its rate cross (rates of two bases are never mixed).
    -#}
    select
        crossed_rates.currency,
        crossed_rates.rate_month,
        crossed_rates.rate_to_reporting
    from crossed_rates
    cross join cross_start
    where
        crossed_rates.has_cross
        or cross_start.first_cross_month is null
        or crossed_rates.rate_month < cross_start.first_cross_month
),

earliest_rates as (
    select
        currency,
        min_by(rate_to_reporting, rate_month) as rate_to_reporting
    from usable_rates
    group by 1
),

month_rates as (
    select
        calendar_months.month,
        earliest_rates.currency,
        coalesce(
            max_by(usable_rates.rate_to_reporting, usable_rates.rate_month),
            min(earliest_rates.rate_to_reporting)
        ) as rate_to_reporting
    from calendar_months
    cross join earliest_rates
    left join usable_rates
        on
            earliest_rates.currency = usable_rates.currency
            and calendar_months.month_end_date >= usable_rates.rate_month
    group by 1, 2

    union all

    select
        month,
        '{{ reporting_currency }}' as currency,
        1.0 as rate_to_reporting
    from calendar_months
),

final as (
    select
        month,
        currency,
        rate_to_reporting,
        coalesce(
            lag(rate_to_reporting) over (partition by currency order by month),
            rate_to_reporting
        ) as prior_rate_to_reporting
    from month_rates
)

select * from final
