{#-
    Reporting months: from the first month with any MRR to the last month whose last
    day is on or before as_of_date.
-#}
with

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

first_month as (
    select min(month) as first_month from customer_months
),

final as (
    select
        calendar_months.month,
        calendar_months.month_end_date
    from calendar_months
    inner join first_month
        on calendar_months.month >= first_month.first_month
)

select * from final
