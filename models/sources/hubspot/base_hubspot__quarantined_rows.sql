{#-
    HubSpot rows the adapter could not map to the raw contract: left out of its relations
    and listed here (int_quarantined_rows shows them with the rest), one row per broken
    rule. source_table is the contract table the row would have gone to, row_key the
    HubSpot id (deal_id; deal_id@date_entered for a deal_stage row), reason names the
    HubSpot table, column and value.
-#}
{%- if var('billing_source') == 'stripe' -%}
    {%- set no_link = 'no Stripe customer metadata '
        ~ (var('stripe_crm_account_key') or 'hubspot_company_id')
        ~ ' and no customer_crosswalk row' -%}
{%- else -%}
    {%- set no_link = 'no customer_crosswalk row, and no billing customer has that id' -%}
{%- endif -%}
with

opportunities as (
    select * from {{ ref('base_hubspot__opportunities_mapped') }}
),

stage_history as (
    select * from {{ ref('base_hubspot__opportunity_stage_history_mapped') }}
),

no_company as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'hubspot.deal ' || opportunity_id
        || ' has no company (no deal_company row)' as reason
    from opportunities
    where account_id is null
),

no_billing_customer as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'hubspot.deal ' || opportunity_id || ' company ' || account_id
        || ' has no billing customer ({{ no_link }})' as reason
    from opportunities
    where account_id is not null and customer_count = 0
),

several_billing_customers as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'hubspot.deal ' || opportunity_id || ' company ' || account_id
        || ' is linked to ' || cast(customer_count as {{ dbt.type_string() }})
        || ' billing customers by ' || link || ' (' || first_customer_id || ' ... '
        || last_customer_id || '): link it to one' as reason
    from opportunities
    where customer_count > 1
),

unknown_type as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        customer_id,
        'hubspot.deal ' || opportunity_id || ' {{ var("hubspot_deal_type_property") }} '
        || coalesce('''' || crm_type || '''', 'empty')
        || ' is not in the crm_opportunity_types seed' as reason
    from opportunities
    where opportunity_type is null
),

unknown_stage as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        customer_id,
        'hubspot.deal ' || opportunity_id || ' deal_pipeline_stage_id '
        || coalesce('''' || stage_id || '''', 'empty')
        || coalesce(' (label ''' || stage_label || ''')', '')
        || ' is not in the crm_stages seed' as reason
    from opportunities
    where stage is null
),

missing_values as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        customer_id,
        'hubspot.deal ' || opportunity_id || ' '
        || case
            when amount is null then '{{ var("hubspot_arr_property") }} (ARR) is empty'
            when created_date is null then 'property_createdate is empty'
            else 'property_closedate is empty'
        end as reason
    from opportunities
    where amount is null or created_date is null or close_date is null
),

history_unknown_stage as (
    select
        'opportunity_stage_history' as source_table,
        history_id as row_key,
        customer_id,
        'hubspot.deal_stage ' || history_id || ' value '
        || coalesce('''' || stage_id || '''', 'empty')
        || ' is not in the crm_stages seed' as reason
    from stage_history
    where stage is null
),

final as (
    select * from no_company
    union all
    select * from no_billing_customer
    union all
    select * from several_billing_customers
    union all
    select * from unknown_type
    union all
    select * from unknown_stage
    union all
    select * from missing_values
    union all
    select * from history_unknown_stage
)

select * from final
