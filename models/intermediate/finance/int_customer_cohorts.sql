{#- A customer's cohort month: its first month with MRR > 0 (the one definition). -#}
with

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

final as (
    select
        customer_id,
        min(month) as cohort_month
    from customer_months
    group by 1
)

select * from final
