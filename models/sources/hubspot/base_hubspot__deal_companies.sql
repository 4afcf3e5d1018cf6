{#-
    The company of each HubSpot deal (deals deleted left out): its deal_company
    association, the primary one (type_id 5, when the column exists) first, then the
    smallest company id when a deal has several.
-#}
{%- set deal_company_relation = source('hubspot', 'deal_company') -%}
with

deal_company as (
    select * from {{ deal_company_relation }}
),

associations as (
    select
        trim(cast(deal_id as {{ dbt.type_string() }})) as deal_id,
        trim(cast(company_id as {{ dbt.type_string() }})) as company_id,
        row_number() over (
            partition by deal_id
            order by
                case
                    when
                        cast(
                            {{ connector_column(deal_company_relation, 'type_id', 'integer') }}
                            as integer
                        ) = 5
                        then 0
                    else 1
                end,
                trim(cast(company_id as {{ dbt.type_string() }}))
        ) as preference
    from deal_company
    where company_id is not null
),

final as (
    select
        deal_id,
        company_id
    from associations
    where preference = 1
)

select * from final
