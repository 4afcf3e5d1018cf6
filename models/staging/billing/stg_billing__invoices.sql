with

source as (
    select * from {{ raw_relation('billing', 'invoices') }}
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

        ---------- dates
        cast(source.due_date as date) as due_date,
        cast(source.paid_at as date) as paid_at
    from source
    {{ reporting_accounts_join('source.customer_id') }}
)

select * from renamed
