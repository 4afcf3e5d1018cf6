{#-
    Salesforce accounts as the Stripe adapter reads them for a customer's segment,
    industry and region (raw values; staging normalises them). The three fields are the
    account columns named by vars salesforce_segment_field, salesforce_industry_field and
    salesforce_region_field; a field the table lacks gives null.
-#}
{%- set account_relation = source('salesforce', 'account') -%}
with

account as (
    select * from {{ account_relation }}
),

renamed as (
    select
        ---------- ids
        trim(cast(id as {{ dbt.type_string() }})) as crm_account_id,

        ---------- strings
        cast(name as {{ dbt.type_string() }}) as account_name,
        cast(
            {{ connector_column(account_relation, var('salesforce_segment_field')) }}
            as {{ dbt.type_string() }}
        ) as segment,
        cast(
            {{ connector_column(account_relation, var('salesforce_industry_field')) }}
            as {{ dbt.type_string() }}
        ) as industry,
        cast(
            {{ connector_column(account_relation, var('salesforce_region_field')) }}
            as {{ dbt.type_string() }}
        ) as region
    from account
    where not coalesce(is_deleted, false)
),

final as (
    select * from renamed
)

select * from final
