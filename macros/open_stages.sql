{#-
    The open stages of the pipeline, in funnel order, read from the opportunity_stages
    seed (its is_open rows): the seed is the one list of stages (the loader's
    contract.STAGES reads its file too). Read when the model runs, after the seed is
    built. At parse time, and when compiling against a warehouse where the seed was
    never built (SQLFluff's dbt templater), an empty list: the model then has no
    per-stage columns, and a build of it would fail its contract.
-#}
{% macro open_stages() -%}
    {%- set stages = ref('opportunity_stages') %}
    {%- if not execute or load_relation(stages) is none %}
        {{- return([]) -}}
    {%- endif %}
    {%- set found = run_query(
        'select stage from ' ~ stages ~ ' where is_open order by stage_order'
    ) %}
    {{- return(found.columns[0].values() | list) -}}
{%- endmacro %}
