{#-
    Constant-currency rates: one row per currency with its latest fx_rates rate on or
    before fx_rate_date() (the var fx_rate_policy: latest = as_of_date, fixed = the var
    fx_rate_date), so exchange-rate swings never show as expansion or contraction.
    The reporting currency always converts at 1. Use as the body of an import CTE.

    fx_rates gives units of the reporting currency per unit of currency. A table kept in
    another base currency (the demo's rates are to USD, with USD at 1) still works for
    any reporting currency it has a rate for: in a month where the reporting currency
    itself has a rate r, every rate of that month is divided by r (cross rates through
    the base). When the reporting currency has a rate other than 1 on or before
    the rate date (the table is kept in another base), a month without its rate is skipped
    for the cross (the latest month that has both counts), so rates of two bases are
    never mixed; rows of the reporting currency at 1 (the table's own base) change
    nothing. A currency with no rate stays unconverted and its rows are quarantined.
-#}
{% macro constant_currency_rates() -%}
    {%- set reporting_currency = var("reporting_currency") | upper %}
    select
        upper(trim(rates.currency)) as currency,
        max_by(
            rates.rate_to_reporting / coalesce(reporting_rates.rate_to_reporting, 1.0),
            rates.month
        ) as rate_to_reporting
    from {{ raw_relation('billing', 'fx_rates') }} as rates
    left join {{ raw_relation('billing', 'fx_rates') }} as reporting_rates
        on
            rates.month = reporting_rates.month
            and upper(trim(reporting_rates.currency)) = '{{ reporting_currency }}'
    where
        rates.month <= {{ fx_rate_date() }}
        and upper(trim(rates.currency)) != '{{ reporting_currency }}'
        and (
            reporting_rates.rate_to_reporting is not null
            or not exists (
                select 1 from {{ raw_relation('billing', 'fx_rates') }} as base_rates
                where
                    upper(trim(base_rates.currency)) = '{{ reporting_currency }}'
                    and base_rates.rate_to_reporting != 1
                    and base_rates.month <= {{ fx_rate_date() }}
            )
        )
    group by 1

    union all

    select
        '{{ reporting_currency }}' as currency,
        1.0 as rate_to_reporting
{%- endmacro %}

{#-
    The date constant-currency rates are taken on or before, per the var fx_rate_policy:
    latest = as_of_date, fixed = fx_rate_date. historical also takes as_of_date here
    (staging's rate: quarantine, invoices, opportunities); int_customer_product_months
    converts each month's MRR at that month's rate (int_fx_monthly_rates).
-#}
{% macro fx_rate_date() -%}
    {%- if var('fx_rate_policy') == 'fixed' -%}
        cast('{{ var("fx_rate_date") }}' as date)
    {%- else -%}
        {{ as_of_date() }}
    {%- endif -%}
{%- endmacro %}
