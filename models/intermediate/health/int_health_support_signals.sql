{#-
    Support signals of each evaluated customer on its evaluation date D, one row per
    evaluation with a ticket in the window: tickets of the recent days, the baseline days
    before them as a rate per recent period, and open high-priority tickets. Windows end
    on D inclusive; definitions in _health__models.yml.
    A ticket created on X counts only for the evaluations dated X .. X + window - 1:
    bucketed by an equi-join on the date with reach (each evaluation date and its month x
    the window's days: the exact day bounds), summed up per customer and evaluation date,
    and kept for the customers evaluated then (equi-join on customer_id, month,
    evaluation_date), as in int_health_usage_signals.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
{%- set recent = var('health_support_recent_days') | int %}
{%- set baseline = var('health_support_baseline_days') | int %}
{%- set window = recent + baseline %}
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

support_tickets as (
    select * from {{ ref('stg_support__support_tickets') }}
),

reach as (
    {{ evaluation_reach('evaluation_dates', window) }}
),

ticket_buckets as (
    {#- Each ticket once per evaluation date it counts for (and that date's month). -#}
    select
        reach.month,
        reach.evaluation_date,
        support_tickets.customer_id,
        support_tickets.created_date > {{ days_before(recent, 'reach.evaluation_date') }}
            as is_recent,
        support_tickets.priority in ('high', 'urgent')
        and support_tickets.ticket_status in ('new', 'open', 'pending')
            as is_high_priority_open
    from support_tickets
    inner join reach
        on support_tickets.created_date = reach.signal_date
),

ticket_windows as (
    select
        customer_id,
        month,
        evaluation_date,
        cast(sum(case when is_recent then 1 else 0 end) as bigint) as recent_tickets,
        cast(
            sum(case when is_recent then 0 else 1 end)
            * {{ recent }} / cast({{ baseline }} as double) as double
        ) as baseline_tickets_per_recent_period,
        cast(sum(case when is_high_priority_open then 1 else 0 end) as bigint)
            as high_priority_open_tickets
    from ticket_buckets
    group by 1, 2, 3
),

final as (
    select
        ticket_windows.customer_id,
        ticket_windows.month,
        ticket_windows.evaluation_date,
        ticket_windows.recent_tickets,
        ticket_windows.baseline_tickets_per_recent_period,
        ticket_windows.high_priority_open_tickets
    from ticket_windows
    inner join evaluations
        on
            ticket_windows.customer_id = evaluations.customer_id
            and ticket_windows.month = evaluations.month
            and ticket_windows.evaluation_date = evaluations.evaluation_date
)

select * from final
