{#-
    Each expansion opportunity as it stood on each snapshot date D: its stage as of D is
    the stage of its latest stage entry on or before D (the later stage on a tie); an
    opportunity created after D does not exist as of D.
-#}
with

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

stage_entries as (
    select * from {{ ref('int_opportunity_stage_entries') }}
),

snapshots as (
    select distinct snapshot_date from {{ ref('int_pipeline_snapshots') }}
),

entries_as_of as (
    select
        snapshots.snapshot_date,
        stage_entries.opportunity_id,
        stage_entries.stage,
        stage_entries.stage_order,
        stage_entries.is_open,
        stage_entries.is_won,
        stage_entries.entered_date,
        row_number() over (
            partition by snapshots.snapshot_date, stage_entries.opportunity_id
            order by stage_entries.entered_date desc, stage_entries.stage_order desc
        ) as recency
    from snapshots
    inner join stage_entries
        on snapshots.snapshot_date >= stage_entries.entered_date
),

final as (
    select
        entries_as_of.snapshot_date,
        entries_as_of.opportunity_id,
        entries_as_of.stage,
        entries_as_of.stage_order,
        entries_as_of.is_open,
        entries_as_of.is_won,
        entries_as_of.entered_date as stage_entered_date
    from entries_as_of
    inner join opportunities
        on entries_as_of.opportunity_id = opportunities.opportunity_id
    where
        entries_as_of.recency = 1
        and opportunities.created_date <= entries_as_of.snapshot_date
)

select * from final
