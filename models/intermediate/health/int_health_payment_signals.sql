{#-
    Payment signals of each evaluated customer on its evaluation date D, one row per
    evaluation with an invoice due in the year up to D (D-364 .. D): the failed or overdue
    invoices among them due in the recent payment window. Definitions in
    _health__models.yml.
    A range join of each evaluation to its customer's invoices, not the reach buckets of
    the other families: a year's window put every invoice in twelve buckets, and at
    1,000,000 customers that ran out of DuckDB's 6 GB beside fct_mrr_movements.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
{%- set d = 'evaluations.evaluation_date' %}
with

evaluations as (
    select * from {{ ref('int_health_evaluations') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

final as (
    select
        evaluations.customer_id,
        evaluations.month,
        evaluations.evaluation_date,
        cast(sum(
            case
                when
                    invoices.invoice_status in ('failed', 'overdue')
                    and invoices.due_date > {{ days_before(var('health_payment_days'), d) }}
                    then 1
                else 0
            end
        ) as bigint) as recent_payment_failures
    from evaluations
    inner join invoices
        on
            evaluations.customer_id = invoices.customer_id
            and evaluations.evaluation_date >= invoices.due_date
            and {{ days_before(365, d) }} < invoices.due_date
    group by 1, 2, 3
)

select * from final
