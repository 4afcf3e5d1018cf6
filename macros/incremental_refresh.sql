{#-
    Incremental refresh of the two heavy chains of models:
    - mrr: int_customer_product_months, int_customer_months, fct_mrr_movements
      (window: int_mrr_refresh_window);
    - health: int_customer_health_signals, int_customer_health_scores
      (window: int_health_refresh_window).

    After a run that rebuilt a whole chain (its window and all its models), on-run-end
    saves the inputs the chain was built from as state tables `refresh_state__<chain>_<name>`
    in the intermediate schema. The next run's window model compares the current inputs
    with that state and names the first month that can differ; the chain's models delete
    and recompute the months from there on. A run that did not rebuild the whole chain
    leaves its state alone, so the next run recomputes from the older state (never too
    little). State is kept on DuckDB only; elsewhere an incremental run recomputes every
    month, which is always right.
-#}

{#-
    chain -> its window model, its models, and the state saved after a complete run:
    name -> [model, select list, date of a row]. With a date, only a hash of each row and
    its date are kept (first_changed_month compares them); without, the rows themselves.
-#}
{%- macro incremental_chains() -%}
    {%- set item_dates = 'least(valid_from, coalesce(valid_to, valid_from))' %}
    {{ return({
        'mrr': {
            'window': 'int_mrr_refresh_window',
            'models': ['int_customer_product_months', 'int_customer_months', 'fct_mrr_movements'],
            'state': {
                'items': ['int_countable_subscription_items', '*', item_dates],
                'customers': ['stg_billing__customers',
                              'customer_id, segment, industry, region', none],
                'build': ['int_calendar_months',
                          'max(month) as last_month, max(next_month) as next_month', none],
            },
        },
        'health': {
            'window': 'int_health_refresh_window',
            'models': ['int_customer_health_signals', 'int_customer_health_scores'],
            'state': {
                'evaluations': ['int_health_evaluations', '*', 'evaluation_date'],
                'usage': ['stg_product__product_usage', '*', 'usage_date'],
                'tickets': ['stg_support__support_tickets', '*', 'created_date'],
                'invoices': ['stg_billing__invoices', '*', 'due_date'],
                'nps': ['stg_crm__nps_responses', '*', 'responded_date'],
                'events': ['stg_crm__account_events', '*', 'event_date'],
                'renewal_items': ['stg_billing__subscription_items',
                                  'subscription_item_id, customer_id, valid_from, valid_to, '
                                  ~ 'months_in_interval', item_dates],
                'build': ['int_reporting_months',
                          "max(month) as last_month, '" ~ health_settings()
                          ~ "' as health_settings", none],
            },
        },
    }) }}
{%- endmacro %}

{#- Every var the health chain reads, as one string: a change recomputes every month. -#}
{%- macro health_settings() -%}
    {%- set names = [
        'health_usage_recent_days', 'health_usage_baseline_days', 'health_usage_decline_pct',
        'health_support_recent_days', 'health_support_baseline_days', 'health_payment_days',
        'health_sponsor_change_days', 'health_qbr_days', 'health_renewal_days',
        'health_upgrade_prompt_pct', 'health_weight_usage', 'health_weight_support',
        'health_weight_payments', 'health_weight_relationship', 'health_weight_renewal',
        'health_green_min_score', 'health_yellow_min_score'
    ] %}
    {%- set values = [] %}
    {%- for name in names %}
        {%- do values.append(name ~ '=' ~ var(name)) %}
    {%- endfor %}
    {{- return(values | join(';')) -}}
{%- endmacro %}

{%- macro model_relation(name) -%}
    {%- for node in graph.nodes.values()
        if node.resource_type == 'model' and node.name == name %}
        {{ return(api.Relation.create(
            database=node.database, schema=node.schema, identifier=node.alias
        )) }}
    {%- endfor %}
{%- endmacro %}

{#- The state table `name` of `chain`, beside the chain's window model. -#}
{%- macro refresh_state_relation(chain, name) -%}
    {%- set window = model_relation(incremental_chains()[chain]['window']) %}
    {{ return(api.Relation.create(
        database=window.database,
        schema=window.schema,
        identifier='refresh_state__' ~ chain ~ '_' ~ name
    )) }}
{%- endmacro %}

{#- The saved state table, or none before the first save (and off DuckDB). -#}
{%- macro saved_refresh_state(chain, name) -%}
    {%- if not execute or target.type != 'duckdb' %}
        {{ return(none) }}
    {%- endif %}
    {%- set relation = refresh_state_relation(chain, name) %}
    {{ return(adapter.get_relation(
        database=relation.database,
        schema=relation.schema,
        identifier=relation.identifier
    )) }}
{%- endmacro %}

{#- True when every state table of `chain` was saved (none off DuckDB and at parse time). -#}
{%- macro has_refresh_state(chain) -%}
    {%- for name in incremental_chains()[chain]['state'] %}
        {%- if saved_refresh_state(chain, name) is none %}
            {{ return(false) }}
        {%- endif %}
    {%- endfor %}
    {{ return(true) }}
{%- endmacro %}

{#-
    In an incremental run of a model of `chain`: a date literal for the first month to
    recompute (from the chain's window model). Otherwise none: compute every month.
-#}
{%- macro recompute_from(chain) -%}
    {%- if not execute or not is_incremental() or target.type != 'duckdb' %}
        {{ return(none) }}
    {%- endif %}
    {%- set window = model_relation(incremental_chains()[chain]['window']) %}
    {%- set result = run_query('select recompute_from_month from ' ~ window) %}
    {{ return("cast('" ~ result.columns[0].values()[0] ~ "' as date)") }}
{%- endmacro %}

{#- Pre-hook of a chain's models: drop the months about to be recomputed. -#}
{%- macro delete_recomputed_months(chain) -%}
    {%- set first_month = recompute_from(chain) %}
    {%- if first_month is not none %}
        delete from {{ this }} where month >= {{ first_month }}
    {%- endif %}
{%- endmacro %}

{#- Each row of `relation` (its `columns`) as a hash of the row and the row's date. -#}
{%- macro hashed_rows(relation, columns, row_date) -%}
    select
        hash(hashed) as row_hash,
        cast({{ row_date }} as date) as row_date
    from (select {{ columns }} from {{ relation }}) as hashed
{%- endmacro %}

{#-
    Body of a CTE with one column, first_changed_month: the first month with a row that
    differs between the relation `current` and the state `name` of `chain` saved by the
    last complete run (an added, removed or edited row; an edit shows as its old and its
    new row; rows are compared by a 64-bit hash of all their columns). Null without
    saved state (the window model then recomputes every month) or when nothing changed.
-#}
{%- macro first_changed_month(chain, name, current) -%}
    {%- set previous = saved_refresh_state(chain, name) %}
    {%- set model, columns, row_date = incremental_chains()[chain]['state'][name] %}
    {%- if previous is none %}
        select cast(null as date) as first_changed_month
    {%- else %}
        select cast({{ dbt.date_trunc('month', 'min(row_date)') }} as date) as first_changed_month
        from (
            (
                {{ hashed_rows(current, columns, row_date) }}
                except
                select * from {{ previous }}
            )

            union all

            (
                select * from {{ previous }}
                except
                {{ hashed_rows(current, columns, row_date) }}
            )
        ) as changed_rows
    {%- endif %}
{%- endmacro %}

{#- on-run-end: save each chain's inputs once all of its models were rebuilt in this run. -#}
{%- macro save_refresh_state(results) -%}
    {%- if not execute or target.type != 'duckdb' %}
        {{ return('') }}
    {%- endif %}
    {%- set rebuilt = [] %}
    {%- for result in results
        if result.node.resource_type == 'model' and result.status == 'success' %}
        {%- do rebuilt.append(result.node.name) %}
    {%- endfor %}
    {%- set statements = [] %}
    {%- for chain, spec in incremental_chains().items() %}
        {%- set not_rebuilt = (spec['models'] + [spec['window']]) | reject('in', rebuilt) | list %}
        {%- if not_rebuilt | length == 0 %}
            {%- for name, source in spec['state'].items() %}
                {%- set model, columns, row_date = source %}
                {%- if row_date is none %}
                    {%- set rows = 'select ' ~ columns ~ ' from ' ~ model_relation(model) %}
                {%- else %}
                    {%- set rows = hashed_rows(model_relation(model), columns, row_date) %}
                {%- endif %}
                {%- do statements.append(
                    'create or replace table ' ~ refresh_state_relation(chain, name)
                    ~ ' as ' ~ rows
                ) %}
            {%- endfor %}
        {%- endif %}
    {%- endfor %}
    {{- return(statements | join(';\n')) -}}
{%- endmacro %}
