{#-
    Term ends: one row per term item (billed every 2 months or more, as the health
    renewal signal reads it) and each end of its term that falls in a reporting month or
    in one of the next 3 months: valid_from + k billing intervals (k >= 1), while the
    item still counts on the day before (it did not end mid-term). Definitions in
    _finance__models.yml.
-#}
{%- set last_month = last_complete_month_value() if execute else '2000-01-01' %}
{%- set upcoming_months = 3 %}

with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

series as (
    {{ dbt.generate_series(upcoming_months) }}
),

renewal_months as (
    select
        month,
        false as is_upcoming
    from reporting_months

    union all

    select
        cast(
            {{ dbt.dateadd(
                'month',
                'cast(series.generated_number as integer)',
                "cast('" ~ last_month ~ "' as date)"
            ) }} as date
        ) as month,
        true as is_upcoming
    from series
),

term_items as (
    select
        countable_items.*,
        subscription_items.months_in_interval,
        {{ month_number('countable_items.valid_from') }}
        % subscription_items.months_in_interval as phase
    from countable_items
    inner join subscription_items
        on countable_items.subscription_item_id = subscription_items.subscription_item_id
    where subscription_items.months_in_interval > 1
),

billing_intervals as (
    select distinct months_in_interval from term_items
),

interval_renewal_months as (
    {#-
        Each renewal month once per billing interval in use, with its phase (year x 12
        + month, modulo the interval): a month is a whole number of intervals after an
        item's first month exactly when their phases match, so each item meets only its
        own term ends (an equality join) instead of every month after its start.
    -#}
    select
        renewal_months.month,
        renewal_months.is_upcoming,
        billing_intervals.months_in_interval,
        {{ month_number('renewal_months.month') }}
        % billing_intervals.months_in_interval as phase
    from renewal_months
    cross join billing_intervals
),

term_months as (
    {#- months a whole number of billing intervals after the item's first month -#}
    select
        term_items.*,
        interval_renewal_months.month as renewal_month,
        interval_renewal_months.is_upcoming,
        {{ dbt.datediff('term_items.valid_from', 'interval_renewal_months.month', 'month') }}
            as months_from_start
    from term_items
    inner join interval_renewal_months
        on
            term_items.months_in_interval = interval_renewal_months.months_in_interval
            and term_items.phase = interval_renewal_months.phase
            and term_items.valid_from < interval_renewal_months.month
),

term_ends as (
    select
        *,
        cast(
            {{ dbt.dateadd('month', 'months_from_start', 'valid_from') }} as date
        ) as term_end_date
    from term_months
),

term_last_days as (
    {#- the last day of the term: the item must still count on it to reach its end -#}
    select
        *,
        cast({{ dbt.dateadd('day', -1, 'term_end_date') }} as date) as term_last_date
    from term_ends
),

final as (
    select
        term_last_days.subscription_item_id,
        term_last_days.customer_id,
        term_last_days.product,
        term_last_days.renewal_month,
        term_last_days.is_upcoming,
        term_last_days.term_end_date,
        {{ counted_item_mrr('term_last_days', 'term_last_days.term_last_date') }} as renewing_mrr
    from term_last_days
    where {{ item_counts_on('term_last_days', 'term_last_days.term_last_date') }}
)

select * from final
