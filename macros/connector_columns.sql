{#-
    Reading connector tables whose columns vary by account and sync settings.

    json_text(column, key): the text value of a top-level key of a JSON object held as
    text (Stripe metadata); null when the key is absent.

    connector_column(relation, column, type): the column when the relation has it, else a
    typed null, so an optional column (a custom Salesforce field, a metadata column) may
    be absent from the user's table. Looked up when the model runs; at parse time every
    column counts as present.
-#}
{% macro json_text(column, key) -%}
    {{ return(adapter.dispatch('json_text', 'expansion_metrics')(column, key)) }}
{%- endmacro %}

{% macro default__json_text(column, key) -%}
    json_extract_string({{ column }}, '$."{{ key }}"')
{%- endmacro %}

{% macro spark__json_text(column, key) -%}
    get_json_object({{ column }}, '$.{{ key }}')
{%- endmacro %}

{% macro connector_column(relation, column, type=none) -%}
    {%- set type = type or dbt.type_string() -%}
    {%- if not execute -%}
        {{ return(column) }}
    {%- endif -%}
    {%- set names = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list -%}
    {%- if column | lower in names -%}
        {{ return(column) }}
    {%- else -%}
        {{ return('cast(null as ' ~ type ~ ')') }}
    {%- endif -%}
{%- endmacro %}

{#-
    Whether an optional connector table exists. True at parse time, so that the branch
    reading it registers its source() with dbt.
-#}
{% macro connector_table_exists(relation) -%}
    {%- if not execute -%}
        {{ return(true) }}
    {%- endif -%}
    {{ return(adapter.get_relation(
        database=relation.database, schema=relation.schema, identifier=relation.identifier
    ) is not none) }}
{%- endmacro %}
