with

source as (
    select * from {{ source('billing', 'customer_attribute_history') }}
),

renamed as (
    select
        ---------- ids
        trim(customer_id) as customer_id,

        ---------- strings
        coalesce({{ normalise_enum('segment') }}, 'unknown') as segment,
        coalesce({{ normalise_enum('industry') }}, 'unknown') as industry,
        coalesce({{ normalise_enum('region') }}, 'unknown') as region,

        ---------- dates
        cast(valid_from as date) as valid_from
    from source
)

select * from renamed
