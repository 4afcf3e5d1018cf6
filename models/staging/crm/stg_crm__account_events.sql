with

source as (
    select * from {{ source('crm', 'account_events') }}
),

renamed as (
    select
        ---------- ids
        trim(source.event_id) as event_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- strings
        {{ normalise_enum('source.event_type') }} as event_type,

        ---------- dates
        cast(source.event_date as date) as event_date
    from source
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
