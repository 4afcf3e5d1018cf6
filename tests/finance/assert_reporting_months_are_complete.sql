{#-
    No month is ever lost between the first month with MRR and the last complete month
    on or before as_of_date. Stops the build with the problem in words (fail_with) when:
    - int_calendar_months does not run, month by month without a gap, from the month of
      the earliest countable valid_from to the last complete month;
    - int_reporting_months does not run, without a gap, from the first month of
      int_customer_months to the last complete month;
    - the ending MRR of fct_mrr_movements in a reporting month differs from the MRR of
      int_customer_months in that month (a missing month shows as a difference).
-#}
{{ config(severity='error') }}
{%- set last_month = last_complete_month_value() if execute else '2000-01-01' %}

with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
),

mrr_movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

expected_ranges as (
    select
        'int_calendar_months' as model_name,
        cast({{ dbt.date_trunc('month', 'min(valid_from)') }} as date) as first_month,
        cast('{{ last_month }}' as date) as last_month
    from countable_items

    union all

    select
        'int_reporting_months' as model_name,
        min(month) as first_month,
        cast('{{ last_month }}' as date) as last_month
    from customer_months
),

actual_ranges as (
    select
        'int_calendar_months' as model_name,
        min(month) as first_month,
        max(month) as last_month,
        count(*) as months,
        count(distinct month) as distinct_months
    from calendar_months

    union all

    select
        'int_reporting_months' as model_name,
        min(month) as first_month,
        max(month) as last_month,
        count(*) as months,
        count(distinct month) as distinct_months
    from reporting_months
),

range_problems as (
    select
        expected_ranges.model_name
        || ' holds '
        || cast(actual_ranges.months as {{ dbt.type_string() }})
        || ' months from '
        || coalesce(cast(actual_ranges.first_month as {{ dbt.type_string() }}), 'none')
        || ' to '
        || coalesce(cast(actual_ranges.last_month as {{ dbt.type_string() }}), 'none')
        || '; expected every month from '
        || cast(expected_ranges.first_month as {{ dbt.type_string() }})
        || ' to '
        || cast(expected_ranges.last_month as {{ dbt.type_string() }}) as problem
    from expected_ranges
    inner join actual_ranges
        on expected_ranges.model_name = actual_ranges.model_name
    where
        expected_ranges.first_month <= expected_ranges.last_month
        and (
            actual_ranges.first_month is null
            or actual_ranges.first_month != expected_ranges.first_month
            or actual_ranges.last_month != expected_ranges.last_month
            or actual_ranges.months != actual_ranges.distinct_months
            or actual_ranges.months != {{ dbt.datediff(
                'expected_ranges.first_month', 'expected_ranges.last_month', 'month'
            ) }} + 1
        )
),

customer_totals as (
    select
        month,
        sum(mrr) as mrr
    from customer_months
    group by 1
),

movement_totals as (
    select
        month,
        sum(ending_mrr) as ending_mrr
    from mrr_movements
    group by 1
),

total_problems as (
    select
        'fct_mrr_movements ending MRR in '
        || cast(reporting_months.month as {{ dbt.type_string() }})
        || ' is '
        || cast(coalesce(movement_totals.ending_mrr, 0) as {{ dbt.type_string() }})
        || ', int_customer_months holds '
        || cast(coalesce(customer_totals.mrr, 0) as {{ dbt.type_string() }}) as problem
    from reporting_months
    left join customer_totals
        on reporting_months.month = customer_totals.month
    left join movement_totals
        on reporting_months.month = movement_totals.month
    where coalesce(movement_totals.ending_mrr, 0) != coalesce(customer_totals.mrr, 0)
),

final as (
    select * from range_problems
    union all
    select * from total_problems
),

{{ stop_on_problems('final') }}
