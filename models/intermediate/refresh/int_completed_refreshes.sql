{#-
    One row per run that rebuilt both incremental chains: what it was built from. Built
    after the chains' last models, so a run in which any of them failed records nothing
    (dbt skips it), and one that did not select every model refreshed by a window (those
    with meta.refresh_window) and both windows records nothing either: the next run's
    windows count those loads again.
-#}
-- depends_on: {{ ref('fct_mrr_movements') }}
-- depends_on: {{ ref('int_customer_health_scores') }}
{%- set refreshed = [] %}
{%- for node in graph.nodes.values() if node.resource_type == 'model' %}
    {%- set window = node.config.meta.get('refresh_window') %}
    {%- if window %}
        {%- do refreshed.append(node.unique_id) %}
        {%- do refreshed.append('model.' ~ node.package_name ~ '.' ~ window) %}
    {%- endif %}
{%- endfor %}
{%- set not_selected = (refreshed | reject('in', selected_resources) | list) if execute else [] %}

with

table_loads as (
    select * from {{ ref('stg_loader__table_loads') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

loads as (
    select max(loaded_at) as loaded_through from table_loads
),

calendar as (
    select
        max(month) as last_month,
        max(next_month) as next_month
    from calendar_months
),

final as (
    select
        cast({{ dbt.current_timestamp() }} as {{ dbt.type_timestamp() }}) as refreshed_at,
        loads.loaded_through,
        calendar.last_month,
        calendar.next_month,
        {{ as_of_date() }} as as_of_date,
        cast('{{ refresh_vars() }}' as {{ dbt.type_string() }}) as refresh_vars
    from loads
    cross join calendar
    {%- if not_selected %}
        -- not rebuilt in this run: {{ not_selected | unique | join(', ') }}
        where 1 = 0
    {%- endif %}
)

select * from final
