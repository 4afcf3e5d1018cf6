{#-
    Who is evaluated for health, and when: every customer with MRR > 0 in a reporting
    month, on each of that month's evaluation dates (int_health_evaluation_dates: the
    month's last day, and as_of_date for the last month). is_current marks the
    evaluation on as_of_date's side, used by mart_customer_health.
-#}
with

evaluation_dates as (
    select * from {{ ref('int_health_evaluation_dates') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

final as (
    select
        customer_months.customer_id,
        evaluation_dates.month,
        evaluation_dates.evaluation_date,
        customer_months.mrr,
        12 * customer_months.mrr as arr,
        evaluation_dates.evaluation_date = {{ as_of_date() }} as is_current
    from evaluation_dates
    inner join customer_months
        on evaluation_dates.month = customer_months.month
)

select * from final
