{#-
    The executive summary, one row per reporting month x segment (and 'all'): the three
    numbers (trailing-twelve-month NRR with its tier, current-quarter expansion pipeline
    coverage with its status, monthly expansion rate) and beside them GRR, logo
    retention, ARR, customers, ARR at risk, alerts and the compounding projection.
-#}
with

nrr as (
    select * from {{ ref('mart_nrr') }}
    where window_months = 12 and dimension in ('all', 'segment')
),

expansion as (
    select * from {{ ref('mart_expansion') }}
    where dimension in ('all', 'segment')
),

coverage as (
    select * from {{ ref('mart_pipeline_coverage') }}
),

health as (
    select * from {{ ref('fct_customer_health_monthly') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

last_month as (
    select max(month) as month from reporting_months
),

health_rows as (
    {{ with_dimension_rows('health', ['segment']) }}
),

health_by_segment as (
    select
        month,
        dimension_value as segment,
        count(*) as customers,
        sum(arr_at_risk) as arr_at_risk,
        sum(case when health_status = 'red' then 1 else 0 end) as red_customers
    from health_rows
    group by 1, 2
),

monthly_coverage as (
    {#- The month's quarter: as of as_of_date in the last month, else at its start. -#}
    select
        expansion.month,
        expansion.dimension_value as segment,
        coverage.coverage_ratio,
        coverage.coverage_status
    from expansion
    cross join last_month
    inner join coverage
        on
            {{ fiscal_quarter('expansion.month') }} = coverage.fiscal_quarter
            and expansion.dimension_value = coverage.segment
            and coverage.snapshot_kind = case
                when expansion.month = last_month.month then 'current' else 'quarter_start'
            end
),

final as (
    select
        expansion.month,
        expansion.dimension_value as segment,
        nrr.nrr_pct as ttm_nrr_pct,
        nrr.nrr_tier,
        monthly_coverage.coverage_ratio,
        monthly_coverage.coverage_status,
        expansion.expansion_rate_pct,
        nrr.grr_pct as ttm_grr_pct,
        nrr.logo_retention_pct as ttm_logo_retention_pct,
        12 * expansion.ending_mrr as arr,
        coalesce(health_by_segment.customers, 0) as customers,
        coalesce(health_by_segment.arr_at_risk, 0) as arr_at_risk,
        cast(coalesce(health_by_segment.red_customers, 0) as bigint) as red_customers,
        cast(
            coalesce(health_by_segment.red_customers, 0)
            + case when monthly_coverage.coverage_status = 'alert' then 1 else 0 end
            + case when nrr.nrr_tier = 'critical' then 1 else 0 end
            as bigint
        ) as alerts,
        12 * expansion.ending_mrr * power(nrr.nrr_pct / 100, 1) as projected_arr_1y,
        12 * expansion.ending_mrr * power(nrr.nrr_pct / 100, 2) as projected_arr_2y,
        12 * expansion.ending_mrr * power(nrr.nrr_pct / 100, 3) as projected_arr_3y
    from expansion
    left join nrr
        on
            expansion.month = nrr.month
            and expansion.dimension_value = nrr.dimension_value
    left join monthly_coverage
        on
            expansion.month = monthly_coverage.month
            and expansion.dimension_value = monthly_coverage.segment
    left join health_by_segment
        on
            expansion.month = health_by_segment.month
            and expansion.dimension_value = health_by_segment.segment
)

select * from final
