with

source as (
    select * from {{ raw_relation('crm', 'opportunities') }}
),

renamed as (
    select
        ---------- ids
        trim(source.opportunity_id) as opportunity_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- strings
        {{ normalise_enum('source.opportunity_type') }} as opportunity_type,
        {{ normalise_enum('source.expansion_type') }} as expansion_type,
        {{ normalise_enum('source.stage') }} as stage,
        upper(trim(source.currency)) as currency,
        trim(source.owner) as owner,

        ---------- numerics
        cast(source.amount as double) as arr_local,

        ---------- dates
        cast(source.created_date as date) as created_date,
        cast(source.close_date as date) as close_date
    from source
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
