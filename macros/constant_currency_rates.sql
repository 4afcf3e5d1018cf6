{#-
    Constant-currency rates: one row per currency with its latest fx_rates rate on or
    before as_of_date, so exchange-rate swings never show as expansion or contraction.
    The reporting currency always converts at 1. Use as the body of an import CTE.
-#}
{% macro constant_currency_rates() -%}
    select
        upper(trim(currency)) as currency,
        max_by(rate_to_reporting, month) as rate_to_reporting
    from {{ source('billing', 'fx_rates') }}
    where
        month <= {{ as_of_date() }}
        and upper(trim(currency)) != '{{ var("reporting_currency") | upper }}'
    group by 1

    union all

    select
        '{{ var("reporting_currency") | upper }}' as currency,
        1.0 as rate_to_reporting
{%- endmacro %}
