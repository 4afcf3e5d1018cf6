{#-
    The expansion pipeline of each fiscal quarter as it stood on each snapshot date, per
    customer segment and in total: won, open, open by stage and win-rate weighted ARR of
    the opportunities closing in the quarter. Definitions in _pipeline__models.yml.
-#}
with

snapshots as (
    select * from {{ ref('int_pipeline_snapshots') }}
),

opportunity_snapshots as (
    select * from {{ ref('int_opportunity_snapshots') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

win_rates as (
    select * from {{ ref('int_stage_win_rates') }}
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

segment_rows as (
    {{ with_dimension_rows('quarter_opportunities', ['segment']) }}
),

final as (
    select
        snapshot_date,
        snapshot_kind,
        fiscal_quarter,
        dimension_value as segment,
        sum(case when is_won then arr else 0 end) as closed_won_arr,
        sum(case when is_open then arr else 0 end) as open_pipeline_arr,
        {%- for stage in open_stages() %}
            sum(case when stage = '{{ stage }}' then arr else 0 end) as {{ stage }}_arr,
        {%- endfor %}
        cast(sum(case when is_open then arr * win_rate else 0 end) as double)
            as weighted_pipeline_arr
    from segment_rows
    group by 1, 2, 3, 4
)

select * from final
