with

source as (
    select * from {{ raw_relation('billing', 'fx_rates') }}
),

renamed as (
    select
        ---------- strings
        upper(trim(currency)) as currency,

        ---------- numerics
        cast(rate_to_reporting as double) as rate_to_reporting,

        ---------- dates
        cast(month as date) as rate_month
    from source
)

select * from renamed
