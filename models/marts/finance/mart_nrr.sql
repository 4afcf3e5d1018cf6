{#-
    NRR, GRR and logo retention over windows of 1 and 12 months ending at each
    reporting month, for the total and per segment, industry and region.
-#}
with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

windows as (
    select 1 as window_months
    union all
    select 12 as window_months
),

cohort_members as (
    {#- The cohort of month M and window W: every customer with MRR > 0 in month M-W. -#}
    select
        reporting_months.month,
        windows.window_months,
        customer_months.customer_id,
        12 * customer_months.mrr as starting_arr
    from reporting_months
    cross join windows
    inner join customer_months
        on customer_months.month = cast(
            {{ dbt.dateadd('month', '-windows.window_months', 'reporting_months.month') }}
            as date
        )
),

member_changes as (
    {#- Net change per cohort customer, point to point. -#}
    select
        cohort_members.month,
        cohort_members.window_months,
        cohort_members.customer_id,
        customers.segment,
        customers.industry,
        customers.region,
        cohort_members.starting_arr,
        12 * coalesce(customer_months.mrr, 0) as ending_arr
    from cohort_members
    inner join customers
        on cohort_members.customer_id = customers.customer_id
    left join customer_months
        on
            cohort_members.customer_id = customer_months.customer_id
            and cohort_members.month = customer_months.month
),

member_movements as (
    select
        *,
        case when ending_arr > 0 then 1 else 0 end as is_retained,
        case
            when ending_arr > starting_arr then ending_arr - starting_arr else 0
        end as expansion_arr,
        case
            when ending_arr > 0 and ending_arr < starting_arr
                then starting_arr - ending_arr
            else 0
        end as contraction_arr,
        case when ending_arr = 0 then starting_arr else 0 end as churned_arr
    from member_changes
),

member_dimension_rows as (
    {{ with_dimension_rows('member_movements') }}
),

aggregated as (
    select
        month,
        window_months,
        dimension,
        dimension_value,
        count(*) as starting_customers,
        cast(sum(is_retained) as bigint) as retained_customers,
        sum(starting_arr) as starting_arr,
        sum(expansion_arr) as expansion_arr,
        sum(contraction_arr) as contraction_arr,
        sum(churned_arr) as churned_arr,
        sum(ending_arr) as ending_arr
    from member_dimension_rows
    group by 1, 2, 3, 4
),

ratios as (
    select
        *,
        cast(ending_arr as double) / cast(starting_arr as double) * 100 as nrr_pct,
        cast(starting_arr - contraction_arr - churned_arr as double)
        / cast(starting_arr as double) * 100 as grr_pct,
        cast(retained_customers as double) / starting_customers * 100 as logo_retention_pct
    from aggregated
),

final as (
    select
        *,
        case
            when nrr_pct >= {{ var('nrr_world_class_pct') }} then 'world_class'
            when nrr_pct >= {{ var('nrr_strong_pct') }} then 'strong'
            when nrr_pct >= {{ var('nrr_needs_improvement_pct') }} then 'needs_improvement'
            else 'critical'
        end as nrr_tier,
        case
            when window_months = 12
                then cast(ending_arr as double) * power(nrr_pct / 100, 1)
        end as projected_arr_1y,
        case
            when window_months = 12
                then cast(ending_arr as double) * power(nrr_pct / 100, 2)
        end as projected_arr_2y,
        case
            when window_months = 12
                then cast(ending_arr as double) * power(nrr_pct / 100, 3)
        end as projected_arr_3y
    from ratios
)

select * from final
