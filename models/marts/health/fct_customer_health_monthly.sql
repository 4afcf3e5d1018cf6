{#- The health score of every active customer at the end of every reporting month. -#}
with

scores as (
    select * from {{ ref('int_customer_health_scores') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

final as (
    select
        scores.month,
        scores.customer_id,
        customers.segment,
        customers.industry,
        customers.region,
        scores.arr,
        scores.health_score,
        scores.health_status,
        scores.components_present,
        scores.usage_score,
        scores.support_score,
        scores.payments_score,
        scores.relationship_score,
        scores.renewal_score,
        scores.is_usage_declining,
        scores.is_nps_detractor,
        scores.has_upgrade_prompt,
        case when scores.health_status = 'red' then scores.arr else 0 end as arr_at_risk
    from scores
    inner join reporting_months
        on
            scores.month = reporting_months.month
            and scores.evaluation_date = reporting_months.month_end_date
    inner join customers
        on scores.customer_id = customers.customer_id
)

select * from final
