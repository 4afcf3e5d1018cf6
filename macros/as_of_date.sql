{#-
    The reporting date as a SQL date literal: the `as_of_date` var, else
    $EXPANSION_METRICS_AS_OF_DATE, else the day the run started.
-#}
{% macro as_of_date() -%}
    {%- set value = as_of_date_value() -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value | string) -%}
        {{ exceptions.raise_compiler_error(
            "as_of_date must be a date like 2026-10-31, got '" ~ value ~ "'") }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- The reporting date as text (YYYY-MM-DD once validate_configuration has run). -#}
{% macro as_of_date_value() -%}
    {%- set configured = var('as_of_date', '') or env_var('EXPANSION_METRICS_AS_OF_DATE', '') -%}
    {{- return((configured if configured else run_started_at.strftime('%Y-%m-%d')) | string) -}}
{%- endmacro %}

{#-
    The first day of the last complete month: the last month whose last day is on or
    before as_of_date, as text. Every reporting month ends here.
-#}
{% macro last_complete_month_value() -%}
    {%- set value = as_of_date_value() -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-(0[1-9]|1[0-2])-[0-9]{2}', value) -%}
        {{ exceptions.raise_compiler_error(
            "as_of_date must be a date like 2026-10-31, got '" ~ value ~ "'") }}
    {%- endif -%}
    {%- set year, month, day = value.split('-') | map('int') | list -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- set month_index = year * 12 + month - 1 - (0 if day >= month_days[month - 1] else 1) -%}
    {{- return('%04d-%02d-01' | format(month_index // 12, month_index % 12 + 1)) -}}
{%- endmacro %}

{#- Months from month `first` (YYYY-MM-..) to month `last`, both counted. -#}
{% macro months_between_values(first, last) -%}
    {%- set a = first.split('-') | map('int') | list -%}
    {%- set b = last.split('-') | map('int') | list -%}
    {{- return((b[0] * 12 + b[1]) - (a[0] * 12 + a[1]) + 1) -}}
{%- endmacro %}
