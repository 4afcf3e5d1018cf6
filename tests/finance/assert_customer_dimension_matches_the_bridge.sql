{#-
    dim_customers agrees with the facts: in the last reporting month, its active
    customers are the customers fct_mrr_movements ends with MRR > 0, and its ARR adds up
    to 12 x their ending MRR. Returns a row when either does not.
-#}
with

customer_dimension as (
    select * from {{ ref('dim_customers') }}
),

mrr_movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

last_reporting_month as (
    select max(month) as month
    from mrr_movements
),

last_month as (
    select
        sum(mrr_movements.ending_mrr) * 12 as ending_arr,
        count(case when mrr_movements.ending_mrr > 0 then 1 end) as active_customers
    from mrr_movements
    inner join last_reporting_month
        on mrr_movements.month = last_reporting_month.month
),

dimension_totals as (
    select
        sum(arr) as arr,
        count(case when is_active then 1 end) as active_customers
    from customer_dimension
),

final as (
    select
        last_month.ending_arr,
        dimension_totals.arr,
        last_month.active_customers as bridge_active_customers,
        dimension_totals.active_customers as dimension_active_customers
    from last_month
    cross join dimension_totals
    where
        coalesce(last_month.ending_arr, 0) != coalesce(dimension_totals.arr, 0)
        or last_month.active_customers != dimension_totals.active_customers
)

select * from final
