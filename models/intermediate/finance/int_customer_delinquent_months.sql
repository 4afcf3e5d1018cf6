{#-
    Delinquency under the var past_due_churn_days N: one row per customer and month at
    whose end the customer is delinquent (an invoice due more than N days before the
    month's last day is unpaid as of as_of_date) while its items would count, with the
    MRR withheld. int_customer_months counts such a month as 0 MRR (delinquent churn).
    An invoice paid by as_of_date restates its months: it never makes a customer
    delinquent. Without the var the model is empty. Definitions in _finance__models.yml.
-#}
{%- set days = var('past_due_churn_days') | string %}

with

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

customer_product_months as (
    select * from {{ ref('int_customer_product_months') }}
),

unpaid_invoices as (
    {#-
        Unpaid as of as_of_date: no paid_at (an invoice marked paid without a date
        counts as paid) or paid after as_of_date.
    -#}
    select
        customer_id,
        due_date
    from invoices
    where
        {%- if days == '' %}
            1 = 0
        {%- else %}
            (paid_at is null and invoice_status != 'paid')
            or paid_at > {{ as_of_date() }}
        {%- endif %}
),

delinquent_months as (
    {#- due more than N days before the month's last day -#}
    select distinct
        unpaid_invoices.customer_id,
        calendar_months.month
    from unpaid_invoices
    inner join calendar_months
        on
            calendar_months.month_end_date
            > cast({{ dbt.dateadd('day', days or '0', 'unpaid_invoices.due_date') }} as date)
),

final as (
    select
        delinquent_months.customer_id,
        delinquent_months.month,
        sum(customer_product_months.product_mrr) as withheld_mrr
    from delinquent_months
    inner join customer_product_months
        on
            delinquent_months.customer_id = customer_product_months.customer_id
            and delinquent_months.month = customer_product_months.month
    group by 1, 2
    having sum(customer_product_months.product_mrr) > 0
)

select * from final
