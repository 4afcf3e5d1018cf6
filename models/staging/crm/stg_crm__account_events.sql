with

source as (
    select * from {{ source('crm', 'account_events') }}
),

renamed as (
    select
        ---------- ids
        trim(event_id) as event_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- strings
        {{ normalise_enum('event_type') }} as event_type,

        ---------- dates
        cast(event_date as date) as event_date
    from source
    {{- reporting_accounts_join('source.customer_id') }}
)

select * from renamed
