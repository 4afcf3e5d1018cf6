{#-
    Committed MRR: per customer and each of the 12 months after the last reporting
    month, the MRR its contracts already say it will have at that month's end (every
    item known today, with the counted_from / counted_to of the billing policies), beside
    its MRR at the end of the last reporting month. Definitions in _finance__models.yml.
-#}
{%- set last_month = last_complete_month_value() if execute else '2000-01-01' %}
{%- set last_month_date = "cast('" ~ last_month ~ "' as date)" %}

with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

series as (
    {{ dbt.generate_series(13) }}
),

horizon_months as (
    {#- months_ahead 0 is the last reporting month, 1 to 12 the months after it -#}
    select
        cast(series.generated_number as integer) - 1 as months_ahead,
        cast(
            {{ dbt.dateadd(
                'month', 'cast(series.generated_number as integer) - 1', last_month_date
            ) }} as date
        ) as month
    from series
),

horizon_month_ends as (
    select
        months_ahead,
        month,
        cast({{ dbt.last_day('month', 'month') }} as date) as month_end_date
    from horizon_months
),

customer_horizon_mrr as (
    select
        countable_items.customer_id,
        horizon_month_ends.months_ahead,
        horizon_month_ends.month,
        sum({{ counted_item_mrr('countable_items', 'horizon_month_ends.month_end_date') }})
            as mrr
    from countable_items
    inner join horizon_month_ends
        on {{ item_counts_on('countable_items', 'horizon_month_ends.month_end_date') }}
    group by 1, 2, 3
),

customer_sides as (
    {#- each future month: the customer's committed MRR, and its current MRR again -#}
    select
        customer_id,
        month,
        months_ahead,
        0 as current_mrr,
        mrr as committed_mrr
    from customer_horizon_mrr
    where months_ahead > 0

    union all

    select
        customer_horizon_mrr.customer_id,
        horizon_month_ends.month,
        horizon_month_ends.months_ahead,
        customer_horizon_mrr.mrr as current_mrr,
        0 as committed_mrr
    from customer_horizon_mrr
    cross join horizon_month_ends
    where
        customer_horizon_mrr.months_ahead = 0
        and horizon_month_ends.months_ahead > 0
),

final as (
    select
        customer_id,
        month,
        months_ahead,
        sum(current_mrr) as current_mrr,
        sum(committed_mrr) as committed_mrr
    from customer_sides
    group by 1, 2, 3
    having sum(current_mrr) > 0 or sum(committed_mrr) > 0
)

select * from final
