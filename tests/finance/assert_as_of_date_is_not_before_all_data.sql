{#-
    Stops the build with a message (fail_with) when there are countable subscription items but no reporting
    month: as_of_date is before the end of the first month with MRR, so every finance
    mart would be empty.
-#}
{{ config(severity='error') }}

with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

data_range as (
    select
        count(*) as items,
        min(valid_from) as first_valid_from
    from countable_items
),

final as (
    select
        'as_of_date {{ as_of_date_value() }} is before all data: no month on or before it '
        || 'has MRR; the first countable subscription item starts on '
        || cast(data_range.first_valid_from as {{ dbt.type_string() }}) as problem
    from data_range
    where
        data_range.items > 0
        and not exists (select 1 from reporting_months)
),

{{ stop_on_problems('final') }}
