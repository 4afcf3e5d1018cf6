{#-
    The raw contract's opportunity_stage_history from HubSpot's deal_stage. A deal's rows
    with a known stage, ordered by date_entered then stage id, collapse so that
    consecutive rows of the same contract stage are one entry, entered on the first row's
    date (two pipeline stages mapped to one contract stage, or a repeated sync row, add
    nothing; a stage entered again after another is a new entry). Rows whose stage is
    unknown are left out before collapsing (and quarantined).
-#}
with

mapped as (
    select * from {{ ref('base_hubspot__opportunity_stage_history_mapped') }}
),

known as (
    select
        opportunity_id,
        stage_id,
        stage,
        entered_at
    from mapped
    where stage is not null
),

with_previous as (
    select
        opportunity_id,
        stage,
        entered_at,
        lag(stage) over (
            partition by opportunity_id
            order by entered_at, stage_id
        ) as previous_stage
    from known
),

stage_entries as (
    select distinct
        opportunity_id,
        stage,
        cast(entered_at as date) as entered_at
    from with_previous
    where previous_stage is null or previous_stage != stage
),

final as (
    select
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(entered_at as date) as entered_at
    from stage_entries
)

select * from final
