{#-
    Incremental refresh of the MRR and health chains by whole months.

    Each chain has a window model (int_mrr_refresh_window, int_health_refresh_window) that
    names the first month to recompute, from what the loads since the last completed
    refresh changed (stg_loader__table_loads) and that refresh's record
    (int_completed_refreshes). A chain model filters its inputs to the window when
    is_incremental(), and the `recompute_window` strategy below replaces those months.
-#}

{#-
    dbt custom incremental strategy `recompute_window`: delete the target's months from
    the model's refresh window on (config meta.refresh_window names the window model),
    then insert the recomputed rows. Unlike delete+insert on a month key, a month that
    has no rows any more (as_of_date moved back, every item of a month removed) is
    deleted too.
-#}
{% macro get_incremental_recompute_window_sql(arg_dict) -%}
    {%- set window = ref(config.get('meta')['refresh_window']) %}
    delete from {{ arg_dict['target_relation'] }}
    where month >= (select recompute_from_month from {{ window }});
    {{ get_incremental_append_sql(arg_dict) }}
{%- endmacro %}

{#-
    Every var except as_of_date, as one string: the completed-refresh record keeps it,
    and a refresh under other settings recomputes every month.
-#}
{% macro refresh_vars() -%}
    {%- set values = [] %}
    {%- for name in known_var_names() if name != 'as_of_date' %}
        {%- do values.append(name ~ '=' ~ var(name)) %}
    {%- endfor %}
    {{- return(values | join(';') | replace("'", "''")) -}}
{%- endmacro %}

{#-
    The latest completed refresh (int_completed_refreshes) as the body of a CTE: one row,
    all null when there is none. Read by relation, not ref(): the record is written after
    the chains it records, which are built from the window models that read it.
-#}
{% macro previous_refresh() -%}
    {%- set log = api.Relation.create(
        database=this.database, schema=this.schema, identifier='int_completed_refreshes'
    ) %}
    {%- set exists = execute and adapter.get_relation(
        database=log.database, schema=log.schema, identifier=log.identifier
    ) is not none %}
    select
        max(refreshed.last_month) as last_month,
        max(refreshed.next_month) as next_month,
        max(refreshed.as_of_date) as as_of_date,
        max(refreshed.loaded_through) as loaded_through,
        max(refreshed.refresh_vars) as refresh_vars
    from (
        {%- if exists %}
            select last_month, next_month, as_of_date, loaded_through, refresh_vars
            from {{ log }}
            order by refreshed_at desc
            limit 1
        {%- else %}
            select
                cast(null as date) as last_month,
                cast(null as date) as next_month,
                cast(null as date) as as_of_date,
                cast(null as {{ dbt.type_timestamp() }}) as loaded_through,
                cast(null as {{ dbt.type_string() }}) as refresh_vars
        {%- endif %}
    ) as refreshed
{%- endmacro %}
