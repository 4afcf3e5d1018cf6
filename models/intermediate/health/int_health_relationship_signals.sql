{#-
    Relationship signals of each evaluated customer on its evaluation date D, one row per
    evaluation with an NPS response or an account event in the year up to D
    (D-364 .. D): the latest NPS score, an executive sponsor change and a missed QBR in
    their windows. Definitions in _health__models.yml.
    A response or event dated X counts only for the evaluations dated X .. X + 364:
    bucketed by an equi-join on the date with reach (each evaluation date and its month x
    the window's days: the exact day bounds), summed up per customer and evaluation date,
    and kept for the customers evaluated then (equi-join on customer_id, month,
    evaluation_date), as in int_health_usage_signals.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
{%- set window = 365 %}
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

nps_responses as (
    select * from {{ ref('stg_crm__nps_responses') }}
),

account_events as (
    select * from {{ ref('stg_crm__account_events') }}
),

reach as (
    {{ evaluation_reach('evaluation_dates', window) }}
),

response_buckets as (
    {#- Each response once per evaluation date it counts for (and that date's month). -#}
    select
        reach.month,
        reach.evaluation_date,
        nps_responses.customer_id,
        nps_responses.response_id,
        nps_responses.responded_date,
        nps_responses.score
    from nps_responses
    inner join reach
        on nps_responses.responded_date = reach.signal_date
),

event_buckets as (
    {#- Each account event once per evaluation date it counts for (and that date's month). -#}
    select
        reach.month,
        reach.evaluation_date,
        account_events.customer_id,
        account_events.event_type = 'exec_sponsor_change'
        and account_events.event_date
        > {{ days_before(var('health_sponsor_change_days'), 'reach.evaluation_date') }}
            as is_recent_sponsor_change,
        account_events.event_type = 'qbr_missed'
        and account_events.event_date
        > {{ days_before(var('health_qbr_days'), 'reach.evaluation_date') }}
            as is_recent_qbr_missed
    from account_events
    inner join reach
        on account_events.event_date = reach.signal_date
),

ranked_responses as (
    select
        customer_id,
        month,
        evaluation_date,
        score,
        row_number() over (
            partition by customer_id, evaluation_date
            order by responded_date desc, response_id desc
        ) as recency
    from response_buckets
),

latest_responses as (
    select * from ranked_responses
    where recency = 1
),

relationship_events as (
    select
        customer_id,
        month,
        evaluation_date,
        max(case when is_recent_sponsor_change then 1 else 0 end) as exec_sponsor_change,
        max(case when is_recent_qbr_missed then 1 else 0 end) as qbr_missed
    from event_buckets
    group by 1, 2, 3
),

relationship_windows as (
    select
        coalesce(latest_responses.customer_id, relationship_events.customer_id)
            as customer_id,
        coalesce(latest_responses.month, relationship_events.month) as month,
        coalesce(latest_responses.evaluation_date, relationship_events.evaluation_date)
            as evaluation_date,
        latest_responses.score as latest_nps_score,
        coalesce(relationship_events.exec_sponsor_change, 0) = 1 as has_exec_sponsor_change,
        coalesce(relationship_events.qbr_missed, 0) = 1 as has_missed_qbr
    from latest_responses
    full outer join relationship_events
        on
            latest_responses.customer_id = relationship_events.customer_id
            and latest_responses.evaluation_date = relationship_events.evaluation_date
),

final as (
    select
        relationship_windows.customer_id,
        relationship_windows.month,
        relationship_windows.evaluation_date,
        relationship_windows.latest_nps_score,
        relationship_windows.has_exec_sponsor_change,
        relationship_windows.has_missed_qbr
    from relationship_windows
    inner join evaluations
        on
            relationship_windows.customer_id = evaluations.customer_id
            and relationship_windows.month = evaluations.month
            and relationship_windows.evaluation_date = evaluations.evaluation_date
)

select * from final
