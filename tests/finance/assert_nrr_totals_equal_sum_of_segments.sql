{#-
    For every month and window, the mart_nrr total row ('all') equals the sum of its
    segment rows in every additive column (customers and ARR). Returns the months
    where it does not.
-#}
with

nrr as (
    select * from {{ ref('mart_nrr') }}
),

totals as (
    select * from nrr
    where dimension = 'all'
),

segment_sums as (
    select
        month,
        window_months,
        sum(starting_customers) as starting_customers,
        sum(retained_customers) as retained_customers,
        sum(starting_arr) as starting_arr,
        sum(expansion_arr) as expansion_arr,
        sum(contraction_arr) as contraction_arr,
        sum(churned_arr) as churned_arr,
        sum(ending_arr) as ending_arr
    from nrr
    where dimension = 'segment'
    group by 1, 2
)

select
    totals.month,
    totals.window_months
from totals
left join segment_sums
    on
        totals.month = segment_sums.month
        and totals.window_months = segment_sums.window_months
where
    segment_sums.month is null
    or totals.starting_customers != segment_sums.starting_customers
    or totals.retained_customers != segment_sums.retained_customers
    or totals.starting_arr != segment_sums.starting_arr
    or totals.expansion_arr != segment_sums.expansion_arr
    or totals.contraction_arr != segment_sums.contraction_arr
    or totals.churned_arr != segment_sums.churned_arr
    or totals.ending_arr != segment_sums.ending_arr
