{#-
    Salesforce rows the adapter could not map to the raw contract: left out of its
    relations and listed here (int_quarantined_rows shows them with the rest), one row per
    broken rule. source_table is the contract table the row would have gone to, row_key
    the Salesforce id, reason names the Salesforce table, column and value.
-#}
{%- if var('billing_source') == 'stripe' -%}
    {%- set no_link = 'no Stripe customer metadata '
        ~ (var('stripe_crm_account_key') or 'salesforce_account_id')
        ~ ' and no customer_crosswalk row' -%}
{%- else -%}
    {%- set no_link = 'no customer_crosswalk row, and no billing customer has that id' -%}
{%- endif -%}
with

opportunities as (
    select * from {{ ref('base_salesforce__opportunities_mapped') }}
),

stage_history as (
    select * from {{ ref('base_salesforce__opportunity_stage_history_mapped') }}
),

rates as (
    {{ salesforce_conversion_rates() }}
),

no_billing_customer as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'salesforce.opportunity ' || opportunity_id || ' account '
        || coalesce(account_id, '(empty)')
        || ' has no billing customer ({{ no_link }})' as reason
    from opportunities
    where customer_count = 0
),

several_billing_customers as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'salesforce.opportunity ' || opportunity_id || ' account ' || account_id
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
        'salesforce.opportunity ' || opportunity_id || ' type '
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
        'salesforce.opportunity ' || opportunity_id || ' stage_name '
        || coalesce('''' || stage_name || '''', 'empty')
        || ' is not in the crm_stages seed' as reason
    from opportunities
    where stage is null
),

missing_values as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        customer_id,
        'salesforce.opportunity ' || opportunity_id || ' '
        || case
            when amount is null then '{{ var("salesforce_arr_field") }} (ARR) is empty'
            when created_date is null then 'created_date is empty'
            else 'close_date is empty'
        end as reason
    from opportunities
    where amount is null or created_date is null or close_date is null
),

history_unknown_stage as (
    select
        'opportunity_stage_history' as source_table,
        history_id as row_key,
        customer_id,
        'salesforce.opportunity_history ' || history_id || ' (opportunity '
        || opportunity_id || ') stage_name '
        || coalesce('''' || stage_name || '''', 'empty')
        || ' is not in the crm_stages seed' as reason
    from stage_history
    where stage is null
),

rate_rows as (
    select
        rate_table,
        iso_code,
        conversion_rate,
        {#- a dated rate is named by currency and start date, a currency_type row by currency -#}
        case
            when rate_table = 'dated_conversion_rate'
                then iso_code || '@' || cast(start_date as {{ dbt.type_string() }})
            else iso_code
        end as rate_key
    from rates
),

unusable_rates as (
    select
        'fx_rates' as source_table,
        rate_key as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'salesforce.' || rate_table || ' ' || replace(rate_key, '@', ' ')
        || ' conversion_rate '
        || coalesce(cast(conversion_rate as {{ dbt.type_string() }}), 'empty')
        || ' is not a positive number' as reason
    from rate_rows
    where conversion_rate is null or conversion_rate <= 0
),

final as (
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
    union all
    select * from unusable_rates
)

select * from final
