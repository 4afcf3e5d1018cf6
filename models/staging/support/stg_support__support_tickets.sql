with

source as (
    select * from {{ source('support', 'support_tickets') }}
),

renamed as (
    select
        ---------- ids
        trim(ticket_id) as ticket_id,
        trim(customer_id) as customer_id,

        ---------- strings
        {{ normalise_enum('priority') }} as priority,
        {{ normalise_enum('status') }} as ticket_status,

        ---------- dates
        cast(created_at as date) as created_date
    from source
)

select * from renamed
