{#-
    Every stage an expansion opportunity entered, with the stage's order. An opportunity
    with no stage history gets one entry: its CRM stage, entered on its created_date.
-#}
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

stage_history as (
    select * from {{ ref('stg_crm__opportunity_stage_history') }}
),

opportunity_stages as (
    select * from {{ ref('opportunity_stages') }}
),

expansion_opportunities as (
    {#- An opportunity closed before it was created is quarantined (int_quarantined_rows). -#}
    select * from opportunities
    where
        opportunity_type = 'expansion'
        and (close_date is null or close_date >= created_date)
),

recorded_entries as (
    select
        stage_history.opportunity_id,
        stage_history.stage,
        stage_history.entered_date
    from stage_history
    inner join expansion_opportunities
        on stage_history.opportunity_id = expansion_opportunities.opportunity_id
),

entries_without_history as (
    select
        expansion_opportunities.opportunity_id,
        expansion_opportunities.stage,
        expansion_opportunities.created_date as entered_date
    from expansion_opportunities
    left join stage_history
        on expansion_opportunities.opportunity_id = stage_history.opportunity_id
    where stage_history.opportunity_id is null
),

all_entries as (
    select * from recorded_entries
    union all
    select * from entries_without_history
),

final as (
    select
        all_entries.opportunity_id,
        all_entries.stage,
        all_entries.entered_date,
        opportunity_stages.stage_order,
        opportunity_stages.is_open,
        opportunity_stages.is_won
    from all_entries
    inner join opportunity_stages
        on all_entries.stage = opportunity_stages.stage
)

select * from final
