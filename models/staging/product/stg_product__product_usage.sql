with

source as (
    select * from {{ source('product', 'product_usage') }}
),

renamed as (
    select
        ---------- ids
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- numerics
        cast(source.active_users as bigint) as active_users,
        cast(source.logins as bigint) as logins,
        cast(source.key_actions as bigint) as key_actions,
        cast(source.usage_quantity as double) as usage_quantity,
        cast(source.usage_limit as double) as usage_limit,

        ---------- dates
        cast(source.usage_date as date) as usage_date
    from source
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
