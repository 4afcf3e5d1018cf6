{#-
    Candidate months, counted back from a fixed end: the last month whose last day is on
    or before as_of_date. They start at the month of the earliest valid_from of a
    countable item (quarantined items never shape the calendar); int_reporting_months
    trims the start to the first month with any MRR. The series is long enough for every
    month from earliest_date on (countable items never start before it), so it never
    truncates; the data test assert_calendar_covers_every_month fails the build if it
    ever did.
-#}
{%- set last_month = last_complete_month_value() if execute else '2000-01-01' %}
{%- set series_length = [months_between_values(var('earliest_date') | string, last_month), 1]
    | max %}

with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

bounds as (
    select
        cast({{ dbt.date_trunc('month', 'min(valid_from)') }} as date) as first_month
    from countable_items
),

series as (
    {{ dbt.generate_series(series_length) }}
),

months as (
    select
        cast(
            {{ dbt.dateadd(
                'month',
                '1 - cast(series.generated_number as integer)',
                "cast('" ~ last_month ~ "' as date)"
            ) }} as date
        ) as month
    from series
),

final as (
    select
        months.month,
        cast(
            {{ dbt.dateadd(
                'day', -1, dbt.dateadd('month', 1, 'months.month')
            ) }} as date
        ) as month_end_date,
        cast({{ dbt.dateadd('month', 1, 'months.month') }} as date) as next_month
    from months
    inner join bounds
        on months.month >= bounds.first_month
)

select * from final
