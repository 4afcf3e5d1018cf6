{#-
    The funnel of every closed expansion opportunity: one row per open stage it reached.
    A won opportunity reached every open stage; a lost one reached every open stage up to
    the furthest it entered (a skipped stage counts as reached and passed). Days in a
    stage run from entering it to entering the next stage, where the history shows it.
-#}
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

stage_entries as (
    select * from {{ ref('int_opportunity_stage_entries') }}
),

opportunity_stages as (
    select * from {{ ref('opportunity_stages') }}
),

entries_with_next as (
    select
        opportunity_id,
        stage,
        stage_order,
        is_open,
        is_won,
        entered_date,
        lead(entered_date) over (
            partition by opportunity_id
            order by entered_date, stage_order
        ) as next_entered_date,
        row_number() over (
            partition by opportunity_id
            order by entered_date desc, stage_order desc
        ) as recency
    from stage_entries
),

closed_opportunities as (
    select
        entries_with_next.opportunity_id,
        entries_with_next.is_won,
        entries_with_next.entered_date as closed_date,
        coalesce(customers.segment, 'unknown') as segment
    from entries_with_next
    inner join opportunities
        on entries_with_next.opportunity_id = opportunities.opportunity_id
    left join customers
        on opportunities.customer_id = customers.customer_id
    where
        entries_with_next.recency = 1
        and not entries_with_next.is_open
),

last_open_stage as (
    select max(stage_order) as stage_order
    from opportunity_stages
    where is_open
),

furthest_open_stage as (
    select
        closed_opportunities.opportunity_id,
        closed_opportunities.is_won,
        case
            when closed_opportunities.is_won then max(last_open_stage.stage_order)
            else coalesce(
                max(case when stage_entries.is_open then stage_entries.stage_order end), 0
            )
        end as furthest_stage_order
    from closed_opportunities
    cross join last_open_stage
    left join stage_entries
        on closed_opportunities.opportunity_id = stage_entries.opportunity_id
    group by 1, 2
),

days_in_stage as (
    select
        opportunity_id,
        stage,
        sum({{ dbt.datediff('entered_date', 'next_entered_date', 'day') }}) as days_in_stage
    from entries_with_next
    where is_open and next_entered_date is not null
    group by 1, 2
),

final as (
    select
        closed_opportunities.opportunity_id,
        closed_opportunities.segment,
        closed_opportunities.closed_date,
        closed_opportunities.is_won,
        opportunity_stages.stage,
        opportunity_stages.stage_order,
        furthest_open_stage.furthest_stage_order > opportunity_stages.stage_order
        or closed_opportunities.is_won as has_moved_to_next_stage,
        days_in_stage.days_in_stage
    from closed_opportunities
    inner join furthest_open_stage
        on closed_opportunities.opportunity_id = furthest_open_stage.opportunity_id
    inner join opportunity_stages
        on
            furthest_open_stage.furthest_stage_order >= opportunity_stages.stage_order
            and opportunity_stages.is_open
    left join days_in_stage
        on
            closed_opportunities.opportunity_id = days_in_stage.opportunity_id
            and opportunity_stages.stage = days_in_stage.stage
)

select * from final
