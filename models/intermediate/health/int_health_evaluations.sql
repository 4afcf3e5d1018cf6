{#-
    Who is evaluated for health, and when: every customer with MRR > 0 in a reporting
    month, on that month's last day; and the customers of the last reporting month on
    as_of_date itself (when it falls after that month's end). is_current marks the
    evaluation on as_of_date's side, used by mart_customer_health.
-#}
with

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

last_month as (
    select max(month) as month from reporting_months
),

evaluation_dates as (
    select
        month,
        month_end_date as evaluation_date
    from reporting_months

    union

    select
        month,
        {{ as_of_date() }} as evaluation_date
    from last_month
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
