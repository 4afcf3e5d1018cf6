with

source as (
    select * from {{ raw_relation('billing', 'invoices') }}
),

constant_rates as (
    {{ constant_currency_rates() }}
),

renamed as (
    select
        ---------- ids
        trim(source.invoice_id) as invoice_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- strings
        upper(trim(source.currency)) as currency,
        {{ normalise_enum('source.status') }} as invoice_status,

        ---------- numerics
        cast(source.amount as double) as amount_local,
        {#- decimal(18, 6) holds less than 1e12: a larger amount is left null (quarantined) -#}
        case
            when abs(source.amount * constant_rates.rate_to_reporting) < 999999999999
                then cast(source.amount * constant_rates.rate_to_reporting as decimal(18, 6))
        end as amount,

        ---------- dates
        cast(source.due_date as date) as due_date,
        cast(source.paid_at as date) as paid_at
    from source
    left join constant_rates
        on upper(trim(source.currency)) = constant_rates.currency
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
