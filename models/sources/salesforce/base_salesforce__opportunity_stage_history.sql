{#-
    The raw contract's opportunity_stage_history from Salesforce's opportunity_history.
    Salesforce writes a history row whenever amount, probability, stage or close date
    changes: rows are ordered by created_date then id, and consecutive rows of the same
    stage collapse into one entry, entered on the first row's date (rows that change only
    amount, close date or probability add nothing; a stage entered again later is a new
    entry). Rows whose stage the seed does not know are left out before collapsing (and
    quarantined).
-#}
with

mapped as (
    select * from {{ ref('base_salesforce__opportunity_stage_history_mapped') }}
),

known as (
    select
        history_id,
        opportunity_id,
        stage,
        created_at
    from mapped
    where stage is not null
),

with_previous as (
    select
        opportunity_id,
        stage,
        created_at,
        lag(stage) over (
            partition by opportunity_id
            order by created_at, history_id
        ) as previous_stage
    from known
),

stage_entries as (
    select distinct
        opportunity_id,
        stage,
        cast(created_at as date) as entered_at
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
