{#-
    Payment signals of each evaluated customer on its evaluation date D, one row per
    evaluation with an invoice due in the year up to D (D-364 .. D): the failed or overdue
    invoices among them due in the recent payment window. Definitions in
    _health__models.yml.
    An invoice due on X counts only for the evaluations dated X .. X + 364: bucketed by an
    equi-join on the date with reach (each evaluation date and its month x the window's
    days: the exact day bounds), summed up per customer and evaluation date, and kept for
    the customers evaluated then (equi-join on customer_id, month, evaluation_date), as
    in int_health_usage_signals.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
{%- set window = 365 %}
with

evaluations as (
    select * from {{ ref('int_health_evaluations') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

evaluation_dates as (
    select * from {{ ref('int_health_evaluation_dates') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

window_days as (
    {{ dbt.generate_series(window) }}
),

reach as (
    {#- For each evaluation date D, every date a row can have to count for D: D-window+1 .. D. -#}
    select
        evaluation_dates.month,
        evaluation_dates.evaluation_date,
        cast({{ dbt.dateadd(
            'day',
            '1 - cast(window_days.generated_number as integer)',
            'evaluation_dates.evaluation_date'
        ) }} as date) as signal_date
    from evaluation_dates
    cross join window_days
),

invoice_buckets as (
    {#- Each invoice once per evaluation date it counts for (and that date's month). -#}
    select
        reach.month,
        reach.evaluation_date,
        invoices.customer_id,
        invoices.invoice_status in ('failed', 'overdue')
        and invoices.due_date
        > {{ days_before(var('health_payment_days'), 'reach.evaluation_date') }}
            as is_recent_failure
    from invoices
    inner join reach
        on invoices.due_date = reach.signal_date
),

invoice_windows as (
    select
        customer_id,
        month,
        evaluation_date,
        cast(sum(case when is_recent_failure then 1 else 0 end) as bigint)
            as recent_payment_failures
    from invoice_buckets
    group by 1, 2, 3
),

final as (
    select
        invoice_windows.customer_id,
        invoice_windows.month,
        invoice_windows.evaluation_date,
        invoice_windows.recent_payment_failures
    from invoice_windows
    inner join evaluations
        on
            invoice_windows.customer_id = evaluations.customer_id
            and invoice_windows.month = evaluations.month
            and invoice_windows.evaluation_date = evaluations.evaluation_date
)

select * from final
