{#-
    The raw contract's opportunities from HubSpot: the mapped opportunities for which
    every rule found a value (exactly one billing customer, a known type and stage, an
    amount and both dates). The rest are listed in base_hubspot__quarantined_rows.
-#}
with

mapped as (
    select * from {{ ref('base_hubspot__opportunities_mapped') }}
),

kept as (
    select
        opportunity_id,
        customer_id,
        opportunity_type,
        expansion_type,
        stage,
        amount,
        currency,
        created_date,
        close_date,
        owner
    from mapped
    where
        customer_id is not null
        and opportunity_type is not null
        and stage is not null
        and amount is not null
        and created_date is not null
        and close_date is not null
),

final as (
    select
        cast(opportunity_id as {{ dbt.type_string() }}) as opportunity_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(opportunity_type as {{ dbt.type_string() }}) as opportunity_type,
        cast(expansion_type as {{ dbt.type_string() }}) as expansion_type,
        cast(stage as {{ dbt.type_string() }}) as stage,
        cast(amount as double) as amount,
        cast(currency as {{ dbt.type_string() }}) as currency,
        cast(created_date as date) as created_date,
        cast(close_date as date) as close_date,
        cast(owner as {{ dbt.type_string() }}) as owner
    from kept
)

select * from final
