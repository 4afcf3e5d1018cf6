{#-
    The figures of a month close (expansion-metrics close) that mart_restatements
    compares with today's marts, per frozen table: how a row names its month, dimension,
    value, NRR window and other key (detail), which rows count, and the metrics. A metric
    ending in _pct is a rate (compared in percentage points); any other is an amount,
    count or ratio (compared as a percent of the reported value). Pipeline coverage
    compares its quarter-start snapshots only: today's snapshot is taken as of each
    build's as_of_date, so a closed month's one is not recomputed later.
-#}
{% macro restated_figures() %}
    {%- set by_dimension = {
        'dimension': 'dimension', 'dimension_value': 'dimension_value',
        'window_months': 'cast(null as integer)', 'detail': "''", 'where': '1 = 1'
    } %}
    {{ return([
        dict(by_dimension, mart='mart_nrr', month='month', window_months='window_months',
             metrics=['starting_arr', 'ending_arr', 'nrr_pct', 'grr_pct', 'logo_retention_pct']),
        dict(by_dimension, mart='mart_expansion', month='month',
             metrics=['starting_mrr', 'new_mrr', 'expansion_mrr', 'contraction_mrr',
                      'churned_mrr', 'ending_mrr', 'expansion_rate_pct']),
        dict(by_dimension, mart='mart_saas_kpis', month='month',
             metrics=['customers', 'new_customers', 'churned_customers', 'arr', 'arpa',
                      'customer_churn_rate_pct', 'gross_mrr_churn_rate_pct',
                      'net_mrr_churn_rate_pct', 'quick_ratio', 'ltv']),
        dict(by_dimension, mart='mart_pipeline_coverage',
             month=dbt.date_trunc('month', 'as_of_date'), dimension="'segment'",
             dimension_value='segment', detail='fiscal_quarter',
             where="snapshot_kind = 'quarter_start'",
             metrics=['target_arr', 'closed_won_arr', 'open_pipeline_arr', 'coverage_ratio']),
        dict(by_dimension, mart='bridge_totals', month='month', dimension="'all'",
             dimension_value="'all'",
             metrics=['starting_mrr', 'new_mrr', 'reactivation_mrr', 'expansion_mrr',
                      'contraction_mrr', 'churned_mrr', 'ending_mrr'])
    ]) }}
{% endmacro %}

{#-
    One row per figure of restated_figures() read from `relations` (a dict: frozen table
    name -> relation or CTE name), the value as a double; close_id from the relation
    when `closed` (the reported tables), else null.
-#}
{% macro figure_values(relations, closed) -%}
    {%- for figure in restated_figures() %}
        {%- set last_figure = loop.last %}
        {%- for metric in figure.metrics %}
    select
        cast({{ figure.month }} as date) as month,
        '{{ figure.mart }}' as mart,
        '{{ metric }}' as metric,
        cast({{ figure.dimension }} as {{ dbt.type_string() }}) as dimension,
        cast({{ figure.dimension_value }} as {{ dbt.type_string() }}) as dimension_value,
        cast({{ figure.window_months }} as integer) as window_months,
        cast({{ figure.detail }} as {{ dbt.type_string() }}) as detail,
        cast({{ metric }} as double) as figure_value,
        {{ 'close_id' if closed else 'cast(null as integer)' }} as close_id
    from {{ relations[figure.mart] }}
    where {{ figure.where }}
            {%- if not (last_figure and loop.last) %}
    union all
            {%- endif %}
        {%- endfor %}
    {%- endfor %}
{%- endmacro %}
