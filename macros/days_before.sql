{#-
    The date `days` days before a date expression, as a date. Windows in the health
    models are written as (days_before(n, D), D]: "the last 30 days" is D-29 .. D.
-#}
{% macro days_before(days, date_expression) -%}
    cast({{ dbt.dateadd('day', -1 * (days | int), date_expression) }} as date)
{%- endmacro %}
