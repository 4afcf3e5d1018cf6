{#-
    Every HubSpot deal (deleted ones left out) with each raw contract column mapped by
    the rules of the adapter, or null where the rule finds no value. The contract
    relation (base_hubspot__opportunities) keeps the rows where every rule found one;
    base_hubspot__quarantined_rows lists the others with the reason.
-#}
{%- set deal_relation = source('hubspot', 'deal') -%}
with

deal as (
    select * from {{ deal_relation }}
),

owner as (
    select * from {{ source('hubspot', 'owner') }}
),

deal_pipeline_stage as (
    select * from {{ source('hubspot', 'deal_pipeline_stage') }}
),

deal_companies as (
    select * from {{ ref('base_hubspot__deal_companies') }}
),

account_customers as (
    select * from {{ ref('base_hubspot__account_customers') }}
),

crm_stages as (
    select * from {{ ref('crm_stages') }}
    where crm_source = 'hubspot'
),

crm_opportunity_types as (
    select * from {{ ref('crm_opportunity_types') }}
    where crm_source = 'hubspot'
),

account_billing_customers as (
    select
        crm_account_id,
        max(link) as link,
        count(*) as customer_count,
        min(customer_id) as first_customer_id,
        max(customer_id) as last_customer_id
    from account_customers
    group by 1
),

owners as (
    select
        trim(cast(owner_id as {{ dbt.type_string() }})) as owner_id,
        nullif(trim(
            coalesce(cast(first_name as {{ dbt.type_string() }}), '') || ' '
            || coalesce(cast(last_name as {{ dbt.type_string() }}), '')
        ), '') as owner_name
    from owner
),

pipeline_stages as (
    select
        lower(trim(cast(stage_id as {{ dbt.type_string() }}))) as stage_key,
        max(cast(label as {{ dbt.type_string() }})) as stage_label,
        max(case when is_closed then 1 else 0 end) = 1 as is_closed,
        max(case when closed_won then 1 else 0 end) = 1 as closed_won
    from deal_pipeline_stage
    group by 1
),

deals as (
    select
        trim(cast(deal_id as {{ dbt.type_string() }})) as opportunity_id,
        cast(
            {{ connector_column(deal_relation, var('hubspot_deal_type_property')) }}
            as {{ dbt.type_string() }}
        ) as crm_type,
        cast(
            {{ connector_column(deal_relation, var('hubspot_expansion_type_property')) }}
            as {{ dbt.type_string() }}
        ) as crm_expansion_type,
        cast(deal_pipeline_stage_id as {{ dbt.type_string() }}) as stage_id,
        cast(
            {{ connector_column(deal_relation, var('hubspot_arr_property'), 'double') }}
            as double
        ) as amount,
        cast(
            {{ connector_column(deal_relation, var('hubspot_currency_property')) }}
            as {{ dbt.type_string() }}
        ) as crm_currency,
        cast(property_createdate as date) as created_date,
        cast(property_closedate as date) as close_date,
        trim(cast(owner_id as {{ dbt.type_string() }})) as owner_id
    from deal
    where not coalesce(is_deleted, false)
),

{# stage: the pipeline stage's is_closed / closed_won decide closed stages, else the seed #}
mapped as (
    select
        deals.opportunity_id,
        deal_companies.company_id as account_id,
        case
            when account_billing_customers.customer_count = 1
                then account_billing_customers.first_customer_id
        end as customer_id,
        account_billing_customers.link,
        coalesce(account_billing_customers.customer_count, 0) as customer_count,
        account_billing_customers.first_customer_id,
        account_billing_customers.last_customer_id,
        deals.crm_type,
        crm_opportunity_types.opportunity_type,
        nullif({{ normalise_enum('deals.crm_expansion_type') }}, '') as expansion_type,
        deals.stage_id,
        pipeline_stages.stage_label,
        case
            when pipeline_stages.is_closed and pipeline_stages.closed_won then 'closed_won'
            when pipeline_stages.is_closed then 'closed_lost'
            else crm_stages.stage
        end as stage,
        deals.amount,
        coalesce(
            nullif(upper(trim(deals.crm_currency)), ''),
            '{{ var("reporting_currency") | upper }}'
        ) as currency,
        deals.created_date,
        deals.close_date,
        owners.owner_name as owner
    from deals
    left join deal_companies
        on deals.opportunity_id = deal_companies.deal_id
    left join account_billing_customers
        on deal_companies.company_id = account_billing_customers.crm_account_id
    left join crm_opportunity_types
        on lower(trim(deals.crm_type)) = lower(trim(crm_opportunity_types.crm_type))
    left join pipeline_stages
        on lower(trim(deals.stage_id)) = pipeline_stages.stage_key
    left join crm_stages
        on lower(trim(deals.stage_id)) = lower(trim(crm_stages.crm_stage))
    left join owners
        on deals.owner_id = owners.owner_id
),

final as (
    select * from mapped
)

select * from final
