{#-
    The raw contract's invoices from Stripe: amount_due in major units (minor units /
    10^minor_unit of the currency_minor_units seed, 2 for currencies it lacks), due_date
    = date(coalesce(due_date, created)); status paid -> paid, uncollectible -> failed,
    open with a failed payment attempt -> failed, other open -> overdue once due_date is
    before as_of_date, else open. Draft and void invoices are left out (not yet / no
    longer invoices); any other status is quarantined (base_stripe__quarantined_rows).
    paid_at = date(status_transitions_paid_at), Fivetran's flattening of Stripe's
    status_transitions.paid_at (null when the table has no such column).
-#}
{%- set invoice_relation = source('stripe', 'invoice') %}
with

invoices as (
    select * from {{ source('stripe', 'invoice') }}
),

minor_units as (
    select * from {{ ref('currency_minor_units') }}
),

renamed as (
    select
        cast(invoices.id as {{ dbt.type_string() }}) as invoice_id,
        cast(invoices.customer_id as {{ dbt.type_string() }}) as customer_id,
        cast(coalesce(
            cast(invoices.due_date as {{ dbt.type_timestamp() }}),
            cast(invoices.created as {{ dbt.type_timestamp() }})
        ) as date) as due_date,
        cast(invoices.amount_due as double)
        / power(10, coalesce(minor_units.minor_unit, 2)) as amount,
        upper(trim(invoices.currency)) as currency,
        lower(trim(invoices.status)) as stripe_status,
        cast(
            cast(
                {{ connector_column(
                    invoice_relation, 'status_transitions_paid_at', dbt.type_timestamp()
                ) }} as {{ dbt.type_timestamp() }}
            ) as date
        ) as paid_at,
        coalesce(cast(invoices.attempt_count as {{ dbt.type_bigint() }}), 0) as attempt_count
    from invoices
    left join minor_units
        on upper(trim(invoices.currency)) = minor_units.currency
),

final as (
    select
        invoice_id,
        customer_id,
        due_date,
        amount,
        currency,
        cast(case
            when stripe_status = 'paid' then 'paid'
            when stripe_status = 'uncollectible' then 'failed'
            when attempt_count > 0 then 'failed'
            when due_date < {{ as_of_date() }} then 'overdue'
            else 'open'
        end as {{ dbt.type_string() }}) as status,
        paid_at
    from renamed
    where stripe_status in ('paid', 'uncollectible', 'open')
)

select * from final
