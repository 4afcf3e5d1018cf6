{#-
    NRR, GRR and logo retention over windows of 1 and 12 months ending at each
    reporting month, for the total and per segment, industry and region. Under
    fx_rate_policy historical the currency part of each customer's change
    (fx_impact_arr) is kept out of expansion, contraction, NRR and GRR.
-#}
{%- set is_historical = var('fx_rate_policy') == 'historical' %}
with

attribute_periods as (
    select * from {{ ref('int_customer_attribute_periods') }}
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
        12 * customer_months.mrr as starting_arr,
        cast(
            {{ dbt.dateadd('month', '1 - windows.window_months', 'reporting_months.month') }}
            as date
        ) as window_start_month
    from reporting_months
    cross join windows
    inner join customer_months
        on customer_months.month = cast(
            {{ dbt.dateadd('month', '-windows.window_months', 'reporting_months.month') }}
            as date
        )
),

member_fx_impacts as (
    {#-
        fx_rate_policy historical: a cohort customer's currency effect over the window,
        12 x its fx_impact_mrr summed over months M-W+1 to M (none under other policies).
    -#}
    select
        cohort_members.month,
        cohort_members.window_months,
        cohort_members.customer_id,
        {%- if is_historical %}
            12 * sum(mrr_movements.fx_impact_mrr) as fx_impact_arr
        from cohort_members
        inner join {{ ref('fct_mrr_movements') }} as mrr_movements
            on
                cohort_members.customer_id = mrr_movements.customer_id
                and cohort_members.month >= mrr_movements.month
                and cast(
                    {{ dbt.dateadd(
                        'month', '-cohort_members.window_months', 'cohort_members.month'
                    ) }} as date
                ) < mrr_movements.month
        group by 1, 2, 3
        {%- else %}
            cast(0 as decimal(38, 6)) as fx_impact_arr
        from cohort_members
        where 1 = 0
        {%- endif %}
),

member_changes as (
    {#- Net change per cohort customer, point to point. -#}
    select
        cohort_members.month,
        cohort_members.window_months,
        cohort_members.customer_id,
        {#-
            the cohort member's attributes as of the start of the window (the first day
            of month M-W+1), so a customer moving segment stays in its starting cohort
        -#}
        attribute_periods.segment,
        attribute_periods.industry,
        attribute_periods.region,
        cohort_members.starting_arr,
        12 * coalesce(customer_months.mrr, 0) as ending_arr,
        case
            when customer_months.mrr > 0 then coalesce(member_fx_impacts.fx_impact_arr, 0)
            else 0
        end as fx_impact_arr
    from cohort_members
    inner join attribute_periods
        on
            cohort_members.customer_id = attribute_periods.customer_id
            and cohort_members.window_start_month >= attribute_periods.valid_from
            and cohort_members.window_start_month < attribute_periods.valid_to
    left join customer_months
        on
            cohort_members.customer_id = customer_months.customer_id
            and cohort_members.month = customer_months.month
    left join member_fx_impacts
        on
            cohort_members.month = member_fx_impacts.month
            and cohort_members.window_months = member_fx_impacts.window_months
            and cohort_members.customer_id = member_fx_impacts.customer_id
),

member_movements as (
    {#- compared without the currency effect: ending_arr - fx_impact_arr -#}
    select
        *,
        case when ending_arr > 0 then 1 else 0 end as is_retained,
        case
            when ending_arr > 0 and ending_arr - fx_impact_arr > starting_arr
                then ending_arr - fx_impact_arr - starting_arr
            else 0
        end as expansion_arr,
        case
            when ending_arr > 0 and ending_arr - fx_impact_arr < starting_arr
                then starting_arr - (ending_arr - fx_impact_arr)
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
        cast(sum(fx_impact_arr) as decimal(38, 6)) as fx_impact_arr,
        sum(ending_arr) as ending_arr
    from member_dimension_rows
    group by 1, 2, 3, 4
),

ratios as (
    select
        *,
        cast(ending_arr - fx_impact_arr as double) / cast(starting_arr as double) * 100
            as nrr_pct,
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
