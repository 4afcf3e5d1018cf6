with

source as (
    select * from {{ raw_relation('crm', 'opportunities') }}
),

constant_rates as (
    {{ constant_currency_rates() }}
),

renamed as (
    select
        ---------- ids
        trim(source.opportunity_id) as opportunity_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- strings
        {{ normalise_enum('source.opportunity_type') }} as opportunity_type,
        {{ normalise_enum('source.expansion_type') }} as expansion_type,
        {{ normalise_enum('source.stage') }} as stage,
        upper(trim(source.currency)) as currency,
        trim(source.owner) as owner,

        ---------- numerics
        cast(source.amount as double) as arr_local,
        {#- decimal(18, 6) holds less than 1e12: a larger ARR is left null (quarantined) -#}
        case
            when abs(source.amount * constant_rates.rate_to_reporting) < 999999999999
                then cast(source.amount * constant_rates.rate_to_reporting as decimal(18, 6))
        end as arr,

        ---------- dates
        cast(source.created_date as date) as created_date,
        cast(source.close_date as date) as close_date
    from source
    left join constant_rates
        on upper(trim(source.currency)) = constant_rates.currency
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
