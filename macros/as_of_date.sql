{#-
    The reporting date as a SQL date literal: the `as_of_date` var, else
    $EXPANSION_METRICS_AS_OF_DATE, else the day the run started.
-#}
{% macro as_of_date() -%}
    {%- set configured = var('as_of_date', '') or env_var('EXPANSION_METRICS_AS_OF_DATE', '') -%}
    {%- set value = configured if configured else run_started_at.strftime('%Y-%m-%d') -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value | string) -%}
        {{ exceptions.raise_compiler_error(
            "as_of_date must be a date like 2026-10-31, got '" ~ value ~ "'") }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}
