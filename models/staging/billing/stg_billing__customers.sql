with

source as (
    select * from {{ raw_relation('billing', 'customers') }}
),

renamed as (
    select
        ---------- ids
        trim(customer_id) as customer_id,
        nullif(trim(parent_customer_id), '') as parent_customer_id,

        ---------- strings
        trim(customer_name) as customer_name,
        coalesce({{ normalise_enum('segment') }}, 'unknown') as segment,
        coalesce({{ normalise_enum('industry') }}, 'unknown') as industry,
        coalesce({{ normalise_enum('region') }}, 'unknown') as region,

        ---------- dates
        cast(created_at as date) as created_date
    from source
)

select * from renamed
