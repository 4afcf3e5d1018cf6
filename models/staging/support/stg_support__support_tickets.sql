with

source as (
    select * from {{ source('support', 'support_tickets') }}
),

renamed as (
    select
        ---------- ids
        trim(source.ticket_id) as ticket_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- strings
        {{ normalise_enum('source.priority') }} as priority,
        {{ normalise_enum('source.status') }} as ticket_status,

        ---------- dates
        cast(source.created_at as date) as created_date
    from source
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
