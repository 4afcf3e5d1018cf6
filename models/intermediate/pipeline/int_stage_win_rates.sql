{#-
    The win rate from each stage as it was known on each snapshot date: over the
    expansion opportunities that reached the stage and closed in the
    conversion_lookback_months before the date. Definitions in _pipeline__models.yml.
-#}
with

snapshots as (
    select * from {{ ref('int_pipeline_snapshots') }}
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

final as (
    select
        snapshot_dates.snapshot_date,
        closed_stages.stage,
        count(*) as opportunities_closed,
        {#- In double on every engine: Spark averages decimal literals at a fixed scale. -#}
        avg(cast(case when closed_stages.is_won then 1 else 0 end as double)) as win_rate
    from snapshot_dates
    inner join closed_stages
        on
            snapshot_dates.snapshot_date >= closed_stages.closed_date
            and snapshot_dates.lookback_start_date < closed_stages.closed_date
    group by 1, 2
)

select * from final
