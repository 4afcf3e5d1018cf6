{#-
    Usage signals of each evaluated customer on its evaluation date D, one row per
    evaluation with a usage row in the window: active users and key actions of the recent
    days against the baseline days before them, and the usage limit utilisation on the
    latest usage row with a limit. Windows end on D inclusive (D-29 .. D is "the last 30
    days"); definitions in _health__models.yml.
    A usage row dated X counts only for the evaluations dated X .. X + window - 1. reach
    lists, for each evaluation date and its month, the dates whose window covers it (the
    exact day bounds, a few thousand rows); an equi-join on the date puts each usage row
    in those evaluation dates, the rows are summed up per customer and evaluation date,
    and an equi-join on (customer_id, month, evaluation_date) keeps the customers
    evaluated then. No usage row is compared with every evaluation of its customer.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
{%- set recent = var('health_usage_recent_days') | int %}
{%- set window = recent + var('health_usage_baseline_days') | int %}
with

evaluations as (
    select * from {{ ref('int_health_evaluations') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

evaluation_dates as (
    select * from {{ ref('int_health_evaluation_dates') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

product_usage as (
    select * from {{ ref('stg_product__product_usage') }}
),

reach as (
    {{ evaluation_reach('evaluation_dates', window) }}
),

usage_buckets as (
    {#- Each usage row once per evaluation date it counts for (and that date's month). -#}
    select
        reach.month,
        reach.evaluation_date,
        product_usage.customer_id,
        product_usage.usage_date,
        product_usage.active_users,
        product_usage.key_actions,
        product_usage.usage_limit,
        product_usage.usage_date > {{ days_before(recent, 'reach.evaluation_date') }} as is_recent
    from product_usage
    inner join reach
        on product_usage.usage_date = reach.signal_date
),

usage_windows as (
    select
        customer_id,
        month,
        evaluation_date,
        avg(case when is_recent then active_users end) as recent_active_users,
        avg(case when not is_recent then active_users end) as baseline_active_users,
        avg(case when is_recent then key_actions end) as recent_key_actions,
        avg(case when not is_recent then key_actions end) as baseline_key_actions,
        {#- one usage row per customer and day: the date names the row -#}
        max(case when usage_limit > 0 then usage_date end) as latest_limited_usage_date
    from usage_buckets
    group by 1, 2, 3
),

final as (
    select
        usage_windows.customer_id,
        usage_windows.month,
        usage_windows.evaluation_date,
        (usage_windows.recent_active_users - usage_windows.baseline_active_users)
        / nullif(usage_windows.baseline_active_users, 0) * 100 as active_users_change_pct,
        (usage_windows.recent_key_actions - usage_windows.baseline_key_actions)
        / nullif(usage_windows.baseline_key_actions, 0) * 100 as key_actions_change_pct,
        cast(latest_limited_usage.usage_quantity as double)
        / latest_limited_usage.usage_limit * 100 as usage_limit_utilization_pct
    from usage_windows
    inner join evaluations
        on
            usage_windows.customer_id = evaluations.customer_id
            and usage_windows.month = evaluations.month
            and usage_windows.evaluation_date = evaluations.evaluation_date
    left join product_usage as latest_limited_usage
        on
            usage_windows.customer_id = latest_limited_usage.customer_id
            and usage_windows.latest_limited_usage_date = latest_limited_usage.usage_date
)

select * from final
