{#-
    Every figure of every closed month (expansion-metrics close) beside today's value:
    the latest close of each month (schema reported, written by the close, never by
    dbt) against the same rows of today's marts. Without a close (no reported schema)
    the mart is empty. Definitions in _reporting__models.yml; the figures compared are
    in macros/month_close.sql.
-#}
{%- set closes = adapter.get_relation(
    database=target.database, schema='reported', identifier='month_closes'
) if execute else none %}
{#- the frozen tables are those of restated_figures(); bridge_totals is the CTE below -#}
{%- set current = {'bridge_totals': 'bridge_totals'} %}
{%- set reported = {} %}
{%- for figure in restated_figures() %}
    {%- if figure.mart != 'bridge_totals' %}
        {%- do current.update({figure.mart: ref(figure.mart)}) %}
    {%- endif %}
    {%- if closes is not none %}
        {%- do reported.update({
            figure.mart: closes.incorporate(path={'identifier': figure.mart})
        }) %}
    {%- endif %}
{%- endfor %}
with

mrr_movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

bridge_totals as (
    select
        month,
    {%- for column in restated_figures()[-1].metrics %}
        sum({{ column }}) as {{ column }}
        {{- ',' if not loop.last }}
    {%- endfor %}
    from mrr_movements
    group by 1
),

current_values as (
    {{ figure_values(current, closed=false) }}
),

month_closes as (
    {#- without a close, the same columns and no rows #}
    {%- if closes is not none %}
        select
            close_id,
            month,
            closed_at,
            as_of_date
        from {{ closes }}
    {%- else %}
        select
            close_id,
            month,
            cast(null as timestamp) as closed_at,
            month as as_of_date
        from current_values
        where 1 = 0
    {%- endif %}
),

reported_values as (
    {%- if closes is not none %}
        {{ figure_values(reported, closed=true) }}
    {%- else %}
        select * from current_values
        where 1 = 0
    {%- endif %}
),

latest_closes as (
    select
        month,
        max(close_id) as close_id
    from month_closes
    group by 1
),

closes as (
    select month_closes.*
    from month_closes
    inner join latest_closes on month_closes.close_id = latest_closes.close_id
),

reported_of_latest_close as (
    select reported_values.*
    from reported_values
    inner join closes on reported_values.close_id = closes.close_id
),

current_of_closed_months as (
    select current_values.*
    from current_values
    inner join closes on current_values.month = closes.month
),

compared as (
    select
        coalesce(reported.month, today.month) as month,
        coalesce(reported.mart, today.mart) as mart,
        coalesce(reported.metric, today.metric) as metric,
        coalesce(reported.dimension, today.dimension) as dimension,
        coalesce(reported.dimension_value, today.dimension_value) as dimension_value,
        coalesce(reported.window_months, today.window_months) as window_months,
        coalesce(reported.detail, today.detail) as detail,
        reported.figure_value as reported_value,
        today.figure_value as current_value
    from reported_of_latest_close as reported
    full outer join current_of_closed_months as today
        on
            reported.month = today.month
            and reported.mart = today.mart
            and reported.metric = today.metric
            and reported.dimension = today.dimension
            and reported.dimension_value = today.dimension_value
            and coalesce(reported.window_months, 0) = coalesce(today.window_months, 0)
            and reported.detail = today.detail
),

measured as (
    select
        *,
        case when right(metric, 4) = '_pct' then 'rate' else 'amount' end as unit,
        current_value - reported_value as difference,
        100 * (current_value - reported_value)
        / nullif(abs(reported_value), 0) as difference_pct
    from compared
),

final as (
    select
        measured.month,
        measured.mart,
        measured.metric,
        measured.dimension,
        measured.dimension_value,
        measured.window_months,
        measured.detail,
        measured.unit,
        measured.reported_value,
        measured.current_value,
        measured.difference,
        measured.difference_pct,
        case
            when measured.reported_value is null and measured.current_value is null then false
            when measured.reported_value is null or measured.current_value is null then true
            when measured.unit = 'rate'
                then abs(measured.difference) > {{ var('restatement_threshold_points') }}
            when measured.reported_value = 0 then measured.current_value != 0
            else
                abs(measured.difference)
                > {{ var('restatement_threshold_pct') }} / 100.0 * abs(measured.reported_value)
        end as is_restated,
        closes.close_id,
        closes.closed_at,
        closes.as_of_date as reported_as_of_date
    from measured
    inner join closes on measured.month = closes.month
)

select * from final
