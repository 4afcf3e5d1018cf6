{#-
    Candidate months: from the month of the earliest valid_from to the last month whose
    last day is on or before as_of_date. int_reporting_months trims the start to the
    first month with any MRR.
-#}
with

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('month', 'min(valid_from)') }} as date) as first_month,
        cast(
            {{ dbt.date_trunc(
                'month',
                dbt.dateadd('day', 1, as_of_date())
            ) }} as date
        ) as month_after_last
    from subscription_items
),

series as (
    {{ dbt.generate_series(1200) }}
),

months as (
    select
        cast(
            {{ dbt.dateadd(
                'month',
                'cast(series.generated_number as integer) - 1',
                'bounds.first_month'
            ) }} as date
        ) as month,
        bounds.month_after_last
    from series
    cross join bounds
),

final as (
    select
        month,
        cast(
            {{ dbt.dateadd(
                'day', -1, dbt.dateadd('month', 1, 'month')
            ) }} as date
        ) as month_end_date,
        cast({{ dbt.dateadd('month', 1, 'month') }} as date) as next_month
    from months
    where month < month_after_last
)

select * from final
