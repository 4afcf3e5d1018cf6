{#- The median of a numeric expression, per engine (DuckDB has median; Spark percentile). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'expansion_metrics')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro spark__median(expression) -%}
    percentile({{ expression }}, 0.5)
{%- endmacro %}
