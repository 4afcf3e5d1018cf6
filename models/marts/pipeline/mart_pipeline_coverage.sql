{#-
    Expansion pipeline coverage of each fiscal quarter x segment (and 'all') as it stood
    on a snapshot date: the first day of every quarter with a target, and as_of_date for
    the current and the next quarter. Definitions in _pipeline__models.yml.
-#}
with

snapshots as (
    select * from {{ ref('int_pipeline_snapshots') }}
),

quarter_pipeline as (
    select * from {{ ref('int_quarter_pipeline') }}
),

targets as (
    select * from {{ ref('stg_crm__expansion_targets') }}
),

quarter_outcomes as (
    select * from {{ ref('int_quarter_outcomes') }}
),

segments as (
    select distinct segment from targets
    union
    select 'all' as segment
),

grid as (
    {#- Every snapshot x each segment with a target, and 'all'. -#}
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
        quarter_outcomes.target_arr,
        {#- Sums typed explicitly: engines widen decimal sums differently. -#}
        cast(coalesce(quarter_pipeline.closed_won_arr, 0) as decimal(38, 6)) as closed_won_arr,
        cast(coalesce(quarter_pipeline.open_pipeline_arr, 0) as decimal(38, 6))
            as open_pipeline_arr,
        {%- for stage in open_stages() %}
            cast(coalesce(quarter_pipeline.{{ stage }}_arr, 0) as decimal(38, 6))
                as {{ stage }}_arr,
        {%- endfor %}
        coalesce(quarter_pipeline.weighted_pipeline_arr, 0) as weighted_pipeline_arr,
        case
            when grid.quarter_end_date < {{ as_of_date() }}
                then cast(coalesce(quarter_outcomes.final_won_arr, 0) as decimal(38, 6))
        end as final_won_arr
    from grid
    left join quarter_pipeline
        on
            grid.snapshot_date = quarter_pipeline.snapshot_date
            and grid.snapshot_kind = quarter_pipeline.snapshot_kind
            and grid.fiscal_quarter = quarter_pipeline.fiscal_quarter
            and grid.segment = quarter_pipeline.segment
    left join quarter_outcomes
        on
            grid.fiscal_quarter = quarter_outcomes.fiscal_quarter
            and grid.segment = quarter_outcomes.segment
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
