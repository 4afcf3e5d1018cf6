{#-
    Every Salesforce opportunity (deleted ones left out) with each raw contract column
    mapped by the rules of the adapter, or null where the rule finds no value. The
    contract relation (base_salesforce__opportunities) keeps the rows where every rule
    found one; base_salesforce__quarantined_rows lists the others with the reason.
-#}
{%- set opportunity_relation = source('salesforce', 'opportunity') -%}
with

opportunity as (
    select * from {{ opportunity_relation }}
),

users as (
    select * from {{ source('salesforce', 'user') }}
),

account_customers as (
    select * from {{ ref('base_salesforce__account_customers') }}
),

crm_stages as (
    select * from {{ ref('crm_stages') }}
    where crm_source = 'salesforce'
),

crm_opportunity_types as (
    select * from {{ ref('crm_opportunity_types') }}
    where crm_source = 'salesforce'
),

{# the corporate currency: currency_type's is_corporate row, else var reporting_currency #}
corporate_currency as (
    {{ salesforce_corporate_currency() }}
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
        trim(cast(id as {{ dbt.type_string() }})) as owner_id,
        cast(name as {{ dbt.type_string() }}) as owner_name
    from users
),

opportunities as (
    select
        trim(cast(id as {{ dbt.type_string() }})) as opportunity_id,
        trim(cast(account_id as {{ dbt.type_string() }})) as account_id,
        cast(type as {{ dbt.type_string() }}) as crm_type,
        cast(stage_name as {{ dbt.type_string() }}) as stage_name,
        coalesce(is_closed, false) as is_closed,
        coalesce(is_won, false) as is_won,
        cast(
            {{ connector_column(opportunity_relation, var('salesforce_expansion_type_field')) }}
            as {{ dbt.type_string() }}
        ) as crm_expansion_type,
        cast({{ var('salesforce_arr_field') }} as double) as amount,
        cast(
            {{ connector_column(opportunity_relation, 'currency_iso_code') }}
            as {{ dbt.type_string() }}
        ) as currency_iso_code,
        cast(created_date as date) as created_date,
        cast(close_date as date) as close_date,
        trim(cast(owner_id as {{ dbt.type_string() }})) as owner_id
    from opportunity
    where not coalesce(is_deleted, false)
),

{# stage: is_closed / is_won decide the closed stages whatever the name, else the seed #}
mapped as (
    select
        opportunities.opportunity_id,
        opportunities.account_id,
        case
            when account_billing_customers.customer_count = 1
                then account_billing_customers.first_customer_id
        end as customer_id,
        account_billing_customers.link,
        coalesce(account_billing_customers.customer_count, 0) as customer_count,
        account_billing_customers.first_customer_id,
        account_billing_customers.last_customer_id,
        opportunities.crm_type,
        crm_opportunity_types.opportunity_type,
        nullif({{ normalise_enum('opportunities.crm_expansion_type') }}, '') as expansion_type,
        opportunities.stage_name,
        case
            when opportunities.is_closed and opportunities.is_won then 'closed_won'
            when opportunities.is_closed then 'closed_lost'
            else crm_stages.stage
        end as stage,
        opportunities.amount,
        coalesce(
            nullif(upper(trim(opportunities.currency_iso_code)), ''),
            corporate_currency.currency,
            '{{ var("reporting_currency") | upper }}'
        ) as currency,
        opportunities.created_date,
        opportunities.close_date,
        owners.owner_name as owner
    from opportunities
    cross join corporate_currency
    left join account_billing_customers
        on opportunities.account_id = account_billing_customers.crm_account_id
    left join crm_opportunity_types
        on lower(trim(opportunities.crm_type)) = lower(trim(crm_opportunity_types.crm_type))
    left join crm_stages
        on lower(trim(opportunities.stage_name)) = lower(trim(crm_stages.crm_stage))
    left join owners
        on opportunities.owner_id = owners.owner_id
),

final as (
    select * from mapped
)

select * from final
