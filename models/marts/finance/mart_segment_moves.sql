{#-
    MRR moving between segments, industries and regions: per month, the customers whose
    attribute at the month's start differs from the month before (customer_attribute_history,
    int_customer_attribute_periods) while they carry MRR into the month, with the MRR
    they carry. Per dimension value: ending MRR of the month before + moved in - moved
    out = starting MRR of the month. Definitions in _finance__models.yml.
-#}
{%- set dimensions = ['segment', 'industry', 'region'] %}
with

mrr_movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

attribute_periods as (
    select * from {{ ref('int_customer_attribute_periods') }}
),

boundaries as (
    {#-
        The month whose first day is the first on or after a period's start: the first
        month the customer counts with the new attributes (only customers with history
        have periods starting after 1900-01-01, so this reads a handful of rows).
    -#}
    select distinct
        customer_id,
        cast({{ dbt.dateadd(
            'month', 1,
            dbt.date_trunc('month', dbt.dateadd('day', -1, 'valid_from'))
        ) }} as date) as month
    from attribute_periods
    where valid_from > cast('1900-01-01' as date)
),

carried as (
    {#- customers carrying MRR into that month, with their attributes before it -#}
    select
        boundaries.month,
        boundaries.customer_id,
        mrr_movements.starting_mrr,
    {%- for dimension in dimensions %}
        mrr_movements.{{ dimension }},
        previous_periods.{{ dimension }} as previous_{{ dimension }}
        {{- ',' if not loop.last }}
    {%- endfor %}
    from boundaries
    inner join mrr_movements
        on
            boundaries.customer_id = mrr_movements.customer_id
            and boundaries.month = mrr_movements.month
            and mrr_movements.starting_mrr > 0
    inner join attribute_periods as previous_periods
        on
            boundaries.customer_id = previous_periods.customer_id
            and cast({{ dbt.dateadd('month', -1, 'boundaries.month') }} as date)
            >= previous_periods.valid_from
            and cast({{ dbt.dateadd('month', -1, 'boundaries.month') }} as date)
            < previous_periods.valid_to
),

moves as (
    {%- for dimension in dimensions %}
        select
            month,
            '{{ dimension }}' as dimension,
            previous_{{ dimension }} as from_value,
            {{ dimension }} as to_value,
            customer_id,
            starting_mrr
        from carried
        where previous_{{ dimension }} != {{ dimension }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        month,
        dimension,
        from_value,
        to_value,
        count(*) as moved_customers,
        cast(sum(starting_mrr) as decimal(38, 6)) as moved_mrr,
        cast(12 * sum(starting_mrr) as decimal(38, 6)) as moved_arr
    from moves
    group by 1, 2, 3, 4
)

select * from final
