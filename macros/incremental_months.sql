{#-
    Incremental refresh of the MRR and health chains by whole months.

    Each chain has a window model (int_mrr_refresh_window, int_health_refresh_window) that
    names the first month to recompute, from what the loads since the last completed
    refresh changed (int_pending_changes: stg_loader__table_loads after the record
    int_completed_refreshes). A chain model filters its inputs to the window when
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
