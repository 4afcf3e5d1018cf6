{#-
    Each fiscal quarter's target and what was finally won in it, per segment with a
    target or a win and 'all' (the sum of the segments): one row per fiscal_quarter x
    segment. Definitions in _pipeline__models.yml.
-#}
with

targets as (
    select * from {{ ref('stg_crm__expansion_targets') }}
),

opportunity_snapshots as (
    select * from {{ ref('int_opportunity_snapshots') }}
    where snapshot_date = {{ as_of_date() }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

segment_targets as (
    select
        fiscal_quarter,
        dimension_value as segment,
        sum(target_arr) as target_arr
    from ({{ with_dimension_rows('targets', ['segment']) }}) as segment_rows
    group by 1, 2
),

won_opportunities as (
    {#- What was eventually won (as of as_of_date) with a close date in each quarter. -#}
    select
        {{ fiscal_quarter('opportunities.close_date') }} as fiscal_quarter,
        coalesce(customers.segment, 'unknown') as segment,
        opportunities.arr
    from opportunity_snapshots
    inner join opportunities
        on opportunity_snapshots.opportunity_id = opportunities.opportunity_id
    left join customers
        on opportunities.customer_id = customers.customer_id
    where opportunity_snapshots.is_won
),

segment_won as (
    select
        fiscal_quarter,
        dimension_value as segment,
        sum(arr) as final_won_arr
    from ({{ with_dimension_rows('won_opportunities', ['segment']) }}) as segment_rows
    group by 1, 2
),

final as (
    select
        coalesce(segment_targets.fiscal_quarter, segment_won.fiscal_quarter) as fiscal_quarter,
        coalesce(segment_targets.segment, segment_won.segment) as segment,
        segment_targets.target_arr,
        segment_won.final_won_arr
    from segment_targets
    full outer join segment_won
        on
            segment_targets.fiscal_quarter = segment_won.fiscal_quarter
            and segment_targets.segment = segment_won.segment
)

select * from final
