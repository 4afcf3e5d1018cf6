{#-
    Incremental refresh of the MRR chain (int_customer_product_months,
    int_customer_months, fct_mrr_movements).

    After a run that rebuilt all three, on-run-end saves the inputs they were built from
    (the countable subscription items, the customer attributes the bridge carries, the
    last calendar month) as state tables in the intermediate schema. The next run's
    int_mrr_refresh_window compares the current inputs with that state and names the
    first month that can differ; the three models delete and recompute the months from
    there on. A run that did not rebuild all three leaves the state alone, so the next
    run recomputes from the older state (never too little). The state is kept on DuckDB
    only; elsewhere every incremental run recomputes all months.
-#}

{%- macro mrr_refresh_models() -%}
    {{ return(['int_customer_product_months', 'int_customer_months', 'fct_mrr_movements']) }}
{%- endmacro %}

{%- macro mrr_refresh_window_relation() -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name == 'int_mrr_refresh_window' %}
        {{ return(api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias
        )) }}
    {%- endfor %}
{%- endmacro %}

{#- The state table `name` (items, customers or build), beside int_mrr_refresh_window. -#}
{%- macro mrr_refresh_state_relation(name) -%}
    {%- set window = mrr_refresh_window_relation() %}
    {{ return(api.Relation.create(
        database=window.database,
        schema=window.schema,
        identifier='mrr_refresh_state_' ~ name
    )) }}
{%- endmacro %}

{#- The saved state table `name`, or none before the first save (and off DuckDB). -#}
{%- macro mrr_refresh_state(name) -%}
    {%- if not execute or target.type != 'duckdb' %}
        {{ return(none) }}
    {%- endif %}
    {%- set relation = mrr_refresh_state_relation(name) %}
    {{ return(adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier
    )) }}
{%- endmacro %}

{#-
    In an incremental run of a model of the chain: a date literal for the first month to
    recompute (from int_mrr_refresh_window). Otherwise none: compute every month.
-#}
{%- macro mrr_recompute_from() -%}
    {%- if not execute or not is_incremental() or target.type != 'duckdb' %}
        {{ return(none) }}
    {%- endif %}
    {%- set result = run_query(
        'select recompute_from_month from ' ~ mrr_refresh_window_relation()
    ) %}
    {{ return("cast('" ~ result.columns[0].values()[0] ~ "' as date)") }}
{%- endmacro %}

{#- Pre-hook of the chain's models: drop the months about to be recomputed. -#}
{%- macro delete_recomputed_months() -%}
    {%- set recompute_from = mrr_recompute_from() %}
    {%- if recompute_from is not none %}
        delete from {{ this }} where month >= {{ recompute_from }}
    {%- endif %}
{%- endmacro %}

{#- on-run-end: save the chain's inputs once all of its models were rebuilt in this run. -#}
{%- macro save_mrr_refresh_state(results) -%}
    {%- if not execute or target.type != 'duckdb' %}
        {{ return('') }}
    {%- endif %}
    {%- set rebuilt = [] %}
    {%- for result in results
        if result.node.resource_type == 'model' and result.status == 'success' %}
        {%- do rebuilt.append(result.node.name) %}
    {%- endfor %}
    {%- for name in mrr_refresh_models() + ['int_mrr_refresh_window'] %}
        {%- if name not in rebuilt %}
            {{ return('') }}
        {%- endif %}
    {%- endfor %}
    {%- set inputs = {} %}
    {%- for node in graph.nodes.values() if node.resource_type == 'model' %}
        {%- do inputs.update({node.name: api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias
        )}) %}
    {%- endfor %}
    create or replace table {{ mrr_refresh_state_relation('items') }} as
    select * from {{ inputs['int_countable_subscription_items'] }};

    create or replace table {{ mrr_refresh_state_relation('customers') }} as
    select customer_id, segment, industry, region
    from {{ inputs['stg_billing__customers'] }};

    create or replace table {{ mrr_refresh_state_relation('build') }} as
    select max(month) as last_month, max(next_month) as next_month
    from {{ inputs['int_calendar_months'] }}
{%- endmacro %}
