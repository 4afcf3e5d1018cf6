{#-
    Health signals of each evaluated customer on its evaluation date D: the evaluation
    with the signals of each family (int_health_usage_signals, _support_, _payment_,
    _relationship_ and _renewal_signals, where windows and definitions live). A family
    without a row for the evaluation had no data in its window: its counts are 0, its
    flags false, has_<family>_data false, its other signals empty.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
with

evaluations as (
    select * from {{ ref('int_health_evaluations') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

usage_signals as (
    select * from {{ ref('int_health_usage_signals') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

support_signals as (
    select * from {{ ref('int_health_support_signals') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

payment_signals as (
    select * from {{ ref('int_health_payment_signals') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

relationship_signals as (
    select * from {{ ref('int_health_relationship_signals') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

renewal_signals as (
    select * from {{ ref('int_health_renewal_signals') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

final as (
    select
        evaluations.customer_id,
        evaluations.month,
        evaluations.evaluation_date,
        evaluations.is_current,
        evaluations.mrr,
        evaluations.arr,
        usage_signals.active_users_change_pct,
        usage_signals.key_actions_change_pct,
        cast(coalesce(support_signals.recent_tickets, 0) as bigint) as recent_tickets,
        support_signals.baseline_tickets_per_recent_period,
        cast(coalesce(support_signals.high_priority_open_tickets, 0) as bigint)
            as high_priority_open_tickets,
        support_signals.customer_id is not null as has_support_data,
        cast(coalesce(payment_signals.recent_payment_failures, 0) as bigint)
            as recent_payment_failures,
        payment_signals.customer_id is not null as has_payment_data,
        relationship_signals.latest_nps_score,
        coalesce(relationship_signals.has_exec_sponsor_change, false)
            as has_exec_sponsor_change,
        coalesce(relationship_signals.has_missed_qbr, false) as has_missed_qbr,
        relationship_signals.customer_id is not null as has_relationship_data,
        usage_signals.usage_limit_utilization_pct,
        renewal_signals.next_renewal_date,
        renewal_signals.days_to_renewal
    from evaluations
    left join usage_signals
        on
            evaluations.customer_id = usage_signals.customer_id
            and evaluations.evaluation_date = usage_signals.evaluation_date
    left join support_signals
        on
            evaluations.customer_id = support_signals.customer_id
            and evaluations.evaluation_date = support_signals.evaluation_date
    left join payment_signals
        on
            evaluations.customer_id = payment_signals.customer_id
            and evaluations.evaluation_date = payment_signals.evaluation_date
    left join relationship_signals
        on
            evaluations.customer_id = relationship_signals.customer_id
            and evaluations.evaluation_date = relationship_signals.evaluation_date
    left join renewal_signals
        on
            evaluations.customer_id = renewal_signals.customer_id
            and evaluations.evaluation_date = renewal_signals.evaluation_date
)

select * from final
