with

source as (
    select * from {{ source('crm', 'nps_responses') }}
),

renamed as (
    select
        ---------- ids
        trim(response_id) as response_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- numerics
        cast(score as integer) as score,

        ---------- dates
        cast(responded_at as date) as responded_date
    from source
    {{- reporting_accounts_join('source.customer_id') }}
)

select * from renamed
