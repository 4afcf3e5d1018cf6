{#-
    HubSpot companies as the Stripe adapter reads them for a customer's segment, industry
    and region (raw values; staging normalises them). The three fields are the company
    columns named by vars hubspot_segment_property, hubspot_industry_property and
    hubspot_region_property; a property the table lacks gives null.
-#}
{%- set company_relation = source('hubspot', 'company') -%}
with

company as (
    select * from {{ company_relation }}
),

renamed as (
    select
        ---------- ids
        trim(cast(id as {{ dbt.type_string() }})) as crm_account_id,

        ---------- strings
        cast(property_name as {{ dbt.type_string() }}) as account_name,
        cast(
            {{ connector_column(company_relation, var('hubspot_segment_property')) }}
            as {{ dbt.type_string() }}
        ) as segment,
        cast(
            {{ connector_column(company_relation, var('hubspot_industry_property')) }}
            as {{ dbt.type_string() }}
        ) as industry,
        cast(
            {{ connector_column(company_relation, var('hubspot_region_property')) }}
            as {{ dbt.type_string() }}
        ) as region
    from company
    where not coalesce(is_deleted, false)
),

final as (
    select * from renamed
)

select * from final
