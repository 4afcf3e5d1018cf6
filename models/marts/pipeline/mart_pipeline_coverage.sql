{#-
    Expansion pipeline coverage of each fiscal quarter x segment (and 'all') as it stood
    on a snapshot date: the first day of every quarter with a target, and as_of_date for
    the current and the next quarter.
-#}
{%- set open_stages = ['identified', 'engaged', 'qualified', 'proposal', 'negotiation'] %}
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

targets as (
    select * from {{ ref('stg_crm__expansion_targets') }}
),

snapshots as (
    select * from {{ ref('int_pipeline_snapshots') }}
),

opportunity_snapshots as (
    select * from {{ ref('int_opportunity_snapshots') }}
),

closed_stages as (
    select * from {{ ref('int_closed_opportunity_stages') }}
),

snapshot_dates as (
    select distinct
        snapshot_date,
        cast(
            {{ dbt.dateadd('month', -1 * var('conversion_lookback_months'), 'snapshot_date') }}
            as date
        ) as lookback_start_date
    from snapshots
),

segments as (
    select distinct segment from targets
    union
    select 'all' as segment
),

win_rates as (
    {#- Win rate from each stage, over opportunities closed in the lookback before D. -#}
    select
        snapshot_dates.snapshot_date,
        closed_stages.stage,
        {#- In double on every engine: Spark averages decimal literals at a fixed scale. -#}
        avg(cast(case when closed_stages.is_won then 1 else 0 end as double)) as win_rate
    from snapshot_dates
    inner join closed_stages
        on
            snapshot_dates.snapshot_date >= closed_stages.closed_date
            and snapshot_dates.lookback_start_date < closed_stages.closed_date
    group by 1, 2
),

quarter_opportunities as (
    select
        snapshots.snapshot_date,
        snapshots.snapshot_kind,
        snapshots.fiscal_quarter,
        coalesce(customers.segment, 'unknown') as segment,
        opportunities.arr,
        opportunity_snapshots.stage,
        opportunity_snapshots.is_open,
        opportunity_snapshots.is_won,
        coalesce(win_rates.win_rate, 0) as win_rate
    from snapshots
    inner join opportunity_snapshots
        on snapshots.snapshot_date = opportunity_snapshots.snapshot_date
    inner join opportunities
        on
            opportunity_snapshots.opportunity_id = opportunities.opportunity_id
            and snapshots.quarter_start_date <= opportunities.close_date
            and snapshots.quarter_end_date >= opportunities.close_date
    left join customers
        on opportunities.customer_id = customers.customer_id
    left join win_rates
        on
            snapshots.snapshot_date = win_rates.snapshot_date
            and opportunity_snapshots.stage = win_rates.stage
),

final_outcomes as (
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
    where
        opportunity_snapshots.snapshot_date = {{ as_of_date() }}
        and opportunity_snapshots.is_won
),

segment_opportunities as (
    select * from quarter_opportunities
    union all
    select
        snapshot_date,
        snapshot_kind,
        fiscal_quarter,
        'all' as segment,
        arr,
        stage,
        is_open,
        is_won,
        win_rate
    from quarter_opportunities
),

pipeline as (
    select
        snapshot_date,
        snapshot_kind,
        fiscal_quarter,
        segment,
        sum(case when is_won then arr else 0 end) as closed_won_arr,
        sum(case when is_open then arr else 0 end) as open_pipeline_arr,
        {%- for stage in open_stages %}
            sum(case when stage = '{{ stage }}' then arr else 0 end) as {{ stage }}_arr,
        {%- endfor %}
        cast(sum(case when is_open then arr * win_rate else 0 end) as double)
            as weighted_pipeline_arr
    from segment_opportunities
    group by 1, 2, 3, 4
),

segment_targets as (
    select
        fiscal_quarter,
        segment,
        target_arr
    from targets

    union all

    select
        fiscal_quarter,
        'all' as segment,
        sum(target_arr) as target_arr
    from targets
    group by 1
),

segment_final_outcomes as (
    select
        fiscal_quarter,
        segment,
        sum(arr) as final_won_arr
    from final_outcomes
    group by 1, 2

    union all

    select
        fiscal_quarter,
        'all' as segment,
        sum(arr) as final_won_arr
    from final_outcomes
    group by 1
),

grid as (
    select
        snapshots.snapshot_date,
        snapshots.snapshot_kind,
        snapshots.fiscal_quarter,
        snapshots.quarter_start_date,
        snapshots.quarter_end_date,
        segments.segment
    from snapshots
    cross join segments
),

measured as (
    select
        grid.fiscal_quarter,
        grid.segment,
        grid.snapshot_date as as_of_date,
        grid.snapshot_kind,
        grid.quarter_start_date,
        grid.quarter_end_date,
        segment_targets.target_arr,
        {#- Sums typed explicitly: engines widen decimal sums differently. -#}
        cast(coalesce(pipeline.closed_won_arr, 0) as decimal(38, 6)) as closed_won_arr,
        cast(coalesce(pipeline.open_pipeline_arr, 0) as decimal(38, 6)) as open_pipeline_arr,
        {%- for stage in open_stages %}
            cast(coalesce(pipeline.{{ stage }}_arr, 0) as decimal(38, 6)) as {{ stage }}_arr,
        {%- endfor %}
        coalesce(pipeline.weighted_pipeline_arr, 0) as weighted_pipeline_arr,
        case
            when grid.quarter_end_date < {{ as_of_date() }}
                then cast(coalesce(segment_final_outcomes.final_won_arr, 0) as decimal(38, 6))
        end as final_won_arr
    from grid
    left join pipeline
        on
            grid.snapshot_date = pipeline.snapshot_date
            and grid.snapshot_kind = pipeline.snapshot_kind
            and grid.fiscal_quarter = pipeline.fiscal_quarter
            and grid.segment = pipeline.segment
    left join segment_targets
        on
            grid.fiscal_quarter = segment_targets.fiscal_quarter
            and grid.segment = segment_targets.segment
    left join segment_final_outcomes
        on
            grid.fiscal_quarter = segment_final_outcomes.fiscal_quarter
            and grid.segment = segment_final_outcomes.segment
),

ratios as (
    select
        *,
        cast(open_pipeline_arr as double) / nullif(cast(target_arr as double), 0)
            as coverage_ratio,
        case
            when target_arr - closed_won_arr > 0
                then
                    cast(open_pipeline_arr as double)
                    / cast(target_arr - closed_won_arr as double)
        end as remaining_coverage_ratio,
        cast(final_won_arr as double) / nullif(cast(target_arr as double), 0) * 100
            as target_attainment_pct
    from measured
),

final as (
    select
        *,
        case
            when coverage_ratio >= {{ var('coverage_healthy_ratio') }} then 'healthy'
            when coverage_ratio >= {{ var('coverage_alert_ratio') }} then 'watch'
            when coverage_ratio is not null then 'alert'
        end as coverage_status
    from ratios
)

select * from final
