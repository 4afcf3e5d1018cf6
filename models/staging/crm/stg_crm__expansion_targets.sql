with

source as (
    select * from {{ source('crm', 'expansion_targets') }}
),

renamed as (
    select
        ---------- strings
        upper(trim(fiscal_quarter)) as fiscal_quarter,
        {{ normalise_enum('segment') }} as segment,

        ---------- numerics
        cast(target_arr as double) as target_arr
    from source
)

select * from renamed
