{#-
    Cohort NRR and logo retention: for each cohort month C (the start of a customer's
    life, int_customer_cohorts) and age k, cohort ARR at C+k over the cohort's ARR at C.
-#}
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

cohort_assignments as (
    select * from {{ ref('int_customer_cohorts') }}
),

cohort_customers as (
    select
        cohort_assignments.customer_id,
        cohort_assignments.cohort_month,
        cohort_assignments.next_cohort_month,
        {#- the attributes as of the cohort month's first day -#}
        attribute_periods.segment,
        attribute_periods.industry,
        attribute_periods.region,
        12 * customer_months.mrr as starting_arr
    from cohort_assignments
    inner join attribute_periods
        on
            cohort_assignments.customer_id = attribute_periods.customer_id
            and cohort_assignments.cohort_month >= attribute_periods.valid_from
            and cohort_assignments.cohort_month < attribute_periods.valid_to
    inner join customer_months
        on
            cohort_assignments.customer_id = customer_months.customer_id
            and cohort_assignments.cohort_month = customer_months.month
),

cohort_customer_rows as (
    {{ with_dimension_rows('cohort_customers') }}
),

cohort_sizes as (
    select
        dimension,
        dimension_value,
        cohort_month,
        count(*) as cohort_customers,
        sum(starting_arr) as cohort_starting_arr
    from cohort_customer_rows
    group by 1, 2, 3
),

activity as (
    {#-
        Cohort ARR and active customers at each later month of the same life
        (reactivated ones count again; a return after more than
        reactivation_window_months counts in its new cohort instead).
    -#}
    select
        cohort_customer_rows.dimension,
        cohort_customer_rows.dimension_value,
        cohort_customer_rows.cohort_month,
        customer_months.month,
        count(*) as active_customers,
        sum(12 * customer_months.mrr) as arr
    from cohort_customer_rows
    inner join customer_months
        on
            cohort_customer_rows.customer_id = customer_months.customer_id
            and cohort_customer_rows.cohort_month <= customer_months.month
            and (
                cohort_customer_rows.next_cohort_month is null
                or cohort_customer_rows.next_cohort_month > customer_months.month
            )
    group by 1, 2, 3, 4
),

cohort_ages as (
    select
        cohort_sizes.dimension,
        cohort_sizes.dimension_value,
        cohort_sizes.cohort_month,
        reporting_months.month,
        {{ dbt.datediff('cohort_sizes.cohort_month', 'reporting_months.month', 'month') }}
            as months_since_start,
        cohort_sizes.cohort_customers,
        cohort_sizes.cohort_starting_arr
    from cohort_sizes
    inner join reporting_months
        on cohort_sizes.cohort_month <= reporting_months.month
),

final as (
    select
        cohort_ages.dimension,
        cohort_ages.dimension_value,
        cohort_ages.cohort_month,
        cohort_ages.months_since_start,
        cohort_ages.cohort_customers,
        coalesce(activity.active_customers, 0) as active_customers,
        cohort_ages.cohort_starting_arr,
        coalesce(activity.arr, 0) as arr,
        cast(coalesce(activity.arr, 0) as double)
        / cast(cohort_ages.cohort_starting_arr as double) * 100 as nrr_pct,
        cast(coalesce(activity.active_customers, 0) as double)
        / cohort_ages.cohort_customers * 100 as logo_retention_pct
    from cohort_ages
    left join activity
        on
            cohort_ages.dimension = activity.dimension
            and cohort_ages.dimension_value = activity.dimension_value
            and cohort_ages.cohort_month = activity.cohort_month
            and cohort_ages.month = activity.month
)

select * from final
