{#-
    A customer's cohorts (the one definition): one row per customer and life. A life
    starts at the customer's first month with MRR > 0 and, when the var
    reactivation_window_months is N, again at every month with MRR > 0 that follows more
    than N months at 0; without the var a customer has one life. next_cohort_month is
    the start of the customer's next life (empty for the last).
-#}
{%- set window = var('reactivation_window_months') | string %}

with

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

life_starts as (
    {%- if window == '' %}
        select
            customer_id,
            min(month) as cohort_month
        from customer_months
        group by 1
    {%- else %}
        {#- months at 0 between two active months = months between them - 1 -#}
        select
            customer_id,
            month as cohort_month
        from (
            select
                customer_id,
                month,
                lag(month) over (partition by customer_id order by month)
                    as previous_active_month
            from customer_months
        ) as active_months
        where
            previous_active_month is null
            or {{ dbt.datediff('previous_active_month', 'month', 'month') }} - 1
            > {{ window }}
    {%- endif %}
),

final as (
    select
        customer_id,
        cohort_month,
        {%- if window == '' %}
            cast(null as date) as next_cohort_month
        {%- else %}
            lead(cohort_month) over (partition by customer_id order by cohort_month)
                as next_cohort_month
        {%- endif %}
    from life_starts
)

select * from final
