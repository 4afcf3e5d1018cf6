{#-
    Every deal_stage row (a deal entering a pipeline stage) of a deal the adapter keeps,
    with its stage mapped as the deal's is: the pipeline stage's is_closed / closed_won
    decide closed stages, else the crm_stages seed by stage id; stage is null when
    neither gives one (quarantined by base_hubspot__quarantined_rows).
-#}
with

deal_stage as (
    select * from {{ source('hubspot', 'deal_stage') }}
),

deal_pipeline_stage as (
    select * from {{ source('hubspot', 'deal_pipeline_stage') }}
),

opportunities as (
    select * from {{ ref('base_hubspot__opportunities') }}
),

crm_stages as (
    select * from {{ ref('crm_stages') }}
    where crm_source = 'hubspot'
),

pipeline_stages as (
    select
        lower(trim(cast(stage_id as {{ dbt.type_string() }}))) as stage_key,
        max(case when is_closed then 1 else 0 end) = 1 as is_closed,
        max(case when closed_won then 1 else 0 end) = 1 as closed_won
    from deal_pipeline_stage
    group by 1
),

history as (
    select
        trim(cast(deal_id as {{ dbt.type_string() }})) as opportunity_id,
        cast(value as {{ dbt.type_string() }}) as stage_id,
        cast(date_entered as {{ dbt.type_timestamp() }}) as entered_at
    from deal_stage
),

mapped as (
    select
        history.opportunity_id || '@' || cast(history.entered_at as {{ dbt.type_string() }})
            as history_id,
        history.opportunity_id,
        opportunities.customer_id,
        history.stage_id,
        case
            when pipeline_stages.is_closed and pipeline_stages.closed_won then 'closed_won'
            when pipeline_stages.is_closed then 'closed_lost'
            else crm_stages.stage
        end as stage,
        history.entered_at
    from history
    inner join opportunities
        on history.opportunity_id = opportunities.opportunity_id
    left join pipeline_stages
        on lower(trim(history.stage_id)) = pipeline_stages.stage_key
    left join crm_stages
        on lower(trim(history.stage_id)) = lower(trim(crm_stages.crm_stage))
),

final as (
    select * from mapped
)

select * from final
