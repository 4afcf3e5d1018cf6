{#-
    Customer health as of as_of_date, one row per active customer: signals, score,
    status, the play for its risk level, flags, current ARR and ARR at risk.
-#}
with

scores as (
    select * from {{ ref('int_customer_health_scores') }}
    where is_current
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

opportunities as (
    select * from {{ ref('fct_opportunities') }}
),

scheduled_churn as (
    select * from {{ ref('int_customer_scheduled_churn') }}
),

open_expansion as (
    select
        customer_id,
        count(*) as open_expansion_opportunities
    from opportunities
    where is_open
    group by 1
),

final as (
    select
        scores.customer_id,
        customers.customer_name,
        customers.segment,
        customers.industry,
        customers.region,
        scores.evaluation_date as as_of_date,
        scores.arr,
        scores.health_score,
        scores.health_status,
        scores.components_present,
        scores.usage_score,
        scores.support_score,
        scores.payments_score,
        scores.relationship_score,
        scores.renewal_score,
        scores.active_users_change_pct,
        scores.key_actions_change_pct,
        scores.is_usage_declining,
        scores.recent_tickets,
        scores.baseline_tickets_per_recent_period,
        scores.high_priority_open_tickets,
        scores.recent_payment_failures,
        scores.latest_nps_score,
        scores.is_nps_detractor,
        scores.has_exec_sponsor_change,
        scores.has_missed_qbr,
        scores.usage_limit_utilization_pct,
        scores.has_upgrade_prompt,
        scores.next_renewal_date,
        scores.days_to_renewal,
        coalesce(open_expansion.open_expansion_opportunities, 0)
            as open_expansion_opportunities,
        case scores.health_status
            when 'red'
                then 'executive engagement, success-plan revision, possible commercial concession'
            when 'yellow' then 'more touchpoints, training refresh, use-case expansion'
            when 'green' then 'expansion candidate: more features, more products'
            else 'collect signals: no health data yet'
        end as play,
        scores.health_status = 'green'
        and (
            coalesce(scores.key_actions_change_pct, 0) > 0
            or coalesce(scores.has_upgrade_prompt, false)
            or open_expansion.customer_id is null
        ) as is_expansion_candidate,
        case when scores.health_status = 'red' then scores.arr else 0 end as arr_at_risk,
        cast(
            12 * coalesce(scheduled_churn.scheduled_churn_mrr, 0) as decimal(38, 6)
        ) as scheduled_churn_arr
    from scores
    inner join customers
        on scores.customer_id = customers.customer_id
    left join open_expansion
        on scores.customer_id = open_expansion.customer_id
    left join scheduled_churn
        on scores.customer_id = scheduled_churn.customer_id
)

select * from final
