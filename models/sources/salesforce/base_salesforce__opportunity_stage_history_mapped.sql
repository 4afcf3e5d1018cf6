{#-
    Every opportunity_history row (deleted ones left out) of an opportunity the adapter
    keeps, with its stage mapped by the crm_stages seed (by name, closed stages too:
    'Closed Won', 'Closed Lost'). A row whose stage_name is the current stage_name of a
    closed opportunity takes that opportunity's closed stage (is_closed / is_won decide,
    as for the opportunity), so an org's own closed stage names need no seed row. stage
    is null when neither gives one (quarantined by base_salesforce__quarantined_rows).
-#}
with

opportunity_history as (
    select * from {{ source('salesforce', 'opportunity_history') }}
),

opportunities as (
    select * from {{ ref('base_salesforce__opportunities') }}
),

mapped_opportunities as (
    select * from {{ ref('base_salesforce__opportunities_mapped') }}
),

crm_stages as (
    select * from {{ ref('crm_stages') }}
    where crm_source = 'salesforce'
),

history as (
    select
        trim(cast(id as {{ dbt.type_string() }})) as history_id,
        trim(cast(opportunity_id as {{ dbt.type_string() }})) as opportunity_id,
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        cast(created_date as {{ dbt.type_timestamp() }}) as created_at
    from opportunity_history
    where not coalesce(is_deleted, false)
),

mapped as (
    select
        history.history_id,
        history.opportunity_id,
        opportunities.customer_id,
        history.stage_name,
        case
            when
                opportunities.stage in ('closed_won', 'closed_lost')
                and lower(trim(history.stage_name)) = lower(trim(mapped_opportunities.stage_name))
                then opportunities.stage
            else crm_stages.stage
        end as stage,
        history.created_at
    from history
    inner join opportunities
        on history.opportunity_id = opportunities.opportunity_id
    inner join mapped_opportunities
        on history.opportunity_id = mapped_opportunities.opportunity_id
    left join crm_stages
        on lower(trim(history.stage_name)) = lower(trim(crm_stages.crm_stage))
),

final as (
    select * from mapped
)

select * from final
