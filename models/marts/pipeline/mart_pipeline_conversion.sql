{#-
    Stage conversion of expansion opportunities closed in the trailing
    conversion_lookback_months (default 12: four quarters) up to as_of_date, one row per
    segment (and 'all') x open stage.
-#}
with

closed_stages as (
    select * from {{ ref('int_closed_opportunity_stages') }}
    where
        closed_date <= {{ as_of_date() }}
        and closed_date > cast(
            {{ dbt.dateadd('month', -1 * var('conversion_lookback_months'), as_of_date()) }}
            as date
        )
),

segment_rows as (
    {{ with_dimension_rows('closed_stages', ['segment']) }}
),

final as (
    select
        dimension_value as segment,
        stage,
        min(stage_order) as stage_order,
        count(*) as opportunities_reached,
        cast(sum(case when is_won then 1 else 0 end) as bigint) as won,
        cast(sum(case when is_won then 0 else 1 end) as bigint) as lost,
        avg(cast(case when is_won then 100 else 0 end as double)) as win_rate_pct,
        avg(cast(case when has_moved_to_next_stage then 100 else 0 end as double))
            as next_stage_conversion_pct,
        {{ median('days_in_stage') }} as median_days_in_stage
    from segment_rows
    group by 1, 2
)

select * from final
