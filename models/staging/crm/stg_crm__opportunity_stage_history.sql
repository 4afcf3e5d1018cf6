with

source as (
    select * from {{ raw_relation('crm', 'opportunity_stage_history') }}
),

renamed as (
    select
        ---------- ids
        trim(opportunity_id) as opportunity_id,

        ---------- strings
        {{ normalise_enum('stage') }} as stage,

        ---------- dates
        cast(entered_at as date) as entered_date
    from source
)

select * from renamed
