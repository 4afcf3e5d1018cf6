{#-
    Win-back by churn quarter (calendar quarter of the churn month), per segment and
    'all': customers that churned, how many came back later (reactivation, up to
    as_of_date), the win-back rate, churned and recovered ARR.
-#}
with

movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

churns as (
    select
        customer_id,
        segment,
        cohort_month,
        month as churn_month,
        12 * churned_mrr as churned_arr
    from movements
    where movement_type = 'churn'
),

reactivations as (
    select
        customer_id,
        cohort_month,
        month as reactivation_month,
        12 * reactivation_mrr as reactivation_arr
    from movements
    where movement_type = 'reactivation'
),

churn_outcomes as (
    {#-
        Each churn with the first reactivation after it in the same life (cohort_month),
        if any: a return after more than reactivation_window_months is new, not won back.
    -#}
    select
        churns.customer_id,
        churns.segment,
        churns.churn_month,
        churns.churned_arr,
        min(reactivations.reactivation_month) as reactivation_month
    from churns
    left join reactivations
        on
            churns.customer_id = reactivations.customer_id
            and churns.cohort_month = reactivations.cohort_month
            and churns.churn_month < reactivations.reactivation_month
    group by 1, 2, 3, 4
),

churn_events as (
    select
        churn_outcomes.*,
        reactivations.reactivation_arr as recovered_arr,
        {{ fiscal_quarter('churn_outcomes.churn_month') }} as churn_quarter,
        {{ dbt.datediff(
            'churn_outcomes.churn_month', 'churn_outcomes.reactivation_month', 'month'
        ) }} as months_to_return
    from churn_outcomes
    left join reactivations
        on
            churn_outcomes.customer_id = reactivations.customer_id
            and churn_outcomes.reactivation_month = reactivations.reactivation_month
),

segment_rows as (
    {{ with_dimension_rows('churn_events', ['segment']) }}
),

final as (
    select
        churn_quarter,
        dimension_value as segment,
        count(*) as churned_customers,
        cast(sum(case when reactivation_month is not null then 1 else 0 end) as bigint)
            as won_back_customers,
        avg(cast(case when reactivation_month is not null then 100 else 0 end as double))
            as winback_rate_pct,
        sum(churned_arr) as churned_arr,
        coalesce(sum(recovered_arr), 0) as recovered_arr,
        avg(months_to_return) as avg_months_to_return
    from segment_rows
    group by 1, 2
)

select * from final
