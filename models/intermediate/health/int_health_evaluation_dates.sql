{#-
    The dates health is evaluated on, one row each: every reporting month's last day, and
    as_of_date for the last reporting month (when it falls after that month's end; it is
    always before the next month's end, else that month would be a reporting month). So
    the evaluations of month M are taken from M's last day up to the day before the next
    month's last day.
-#}
with

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

last_month as (
    select max(month) as month from reporting_months
),

final as (
    select
        month,
        month_end_date as evaluation_date
    from reporting_months

    union

    select
        month,
        {{ as_of_date() }} as evaluation_date
    from last_month
)

select * from final
