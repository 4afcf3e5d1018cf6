with

source as (
    select * from {{ source('crm', 'nps_responses') }}
),

renamed as (
    select
        ---------- ids
        trim(source.response_id) as response_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- numerics
        cast(source.score as integer) as score,

        ---------- dates
        cast(source.responded_at as date) as responded_date
    from source
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
