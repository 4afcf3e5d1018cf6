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
    Spark's half of recompute_window (dbt-spark accepts no custom incremental strategy):
    a pre-hook of every model (dbt_project.yml) that, in an incremental run of a model
    with meta.refresh_window on Spark, drops the model's partitions (its tables are
    partitioned by month there) from the window's first month on. insert_overwrite then
    writes the recomputed months, and a month that has no rows any more stays dropped.
    Elsewhere it renders nothing. Run at execution time, when the window is built.
-#}
{% macro drop_recomputed_months() -%}
    {%- set window_name = (config.get('meta') or {}).get('refresh_window') %}
    {%- if execute and target.type == 'spark' and window_name and is_incremental() %}
        {%- set window = ref(window_name) %}
        {%- set months = run_query(
            'select distinct cast(month as string) from ' ~ this
            ~ ' where month >= (select recompute_from_month from ' ~ window ~ ')'
        ).columns[0].values() %}
        {%- if months %}
            alter table {{ this }} drop if exists
            {%- for month in months %}
                partition (month = '{{ month }}'){{ ',' if not loop.last }}
            {%- endfor %}
        {%- endif %}
    {%- endif %}
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
    dbt's `where` hook for generic tests, overridden: in a `dbt build`, a generic test of
    a model with meta.refresh_window checks only the months that build recomputed (the
    window model's recompute_from_month on; every month on a full build, whose window is
    1900-01-01), so a refresh after one more month does not re-test years of unchanged
    history. `dbt test` on its own, and any test with meta.full_test, checks every month;
    so do the singular tests (the bridge identity and the totals), which never pass here.
    A test's own `where` config still applies.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set conditions = [] %}
    {%- if config.get('where') %}
        {%- do conditions.append('(' ~ config.get('where') ~ ')') %}
    {%- endif %}
    {%- set window = recomputed_window_of(model) %}
    {%- if window is not none %}
        {%- do conditions.append(
            'month >= (select recompute_from_month from ' ~ window ~ ')'
        ) %}
    {%- endif %}
    {%- if conditions %}
        {{- return('(select * from ' ~ relation ~ ' where '
            ~ conditions | join(' and ') ~ ') dbt_subquery') -}}
    {%- else %}
        {{- return(relation) -}}
    {%- endif %}
{%- endmacro %}

{#- The relation of the refresh window a generic test may be limited to, or none. -#}
{% macro recomputed_window_of(test_node) -%}
    {%- if not execute or flags.WHICH != 'build'
        or (test_node.config.meta or {}).get('full_test') %}
        {{- return(none) -}}
    {%- endif %}
    {%- set tested = graph.nodes.get(test_node.attached_node) %}
    {%- set window_name = (tested.config.meta or {}).get('refresh_window') if tested %}
    {%- if not window_name %}
        {{- return(none) -}}
    {%- endif %}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name == window_name %}
        {{- return(node.relation_name) -}}
    {%- endfor %}
    {{- return(none) -}}
{%- endmacro %}
