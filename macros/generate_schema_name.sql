{#-
    Models land in exactly the schema their folder sets (raw, staging, intermediate,
    marts), without dbt's default "<target schema>_" prefix, so BI tools point at `marts`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
