{#-
    Health signals of each evaluated customer on its evaluation date D. Windows end on D
    (inclusive) and are set by vars: "the last 30 days" is D-29 .. D.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
{%- set recent = var('health_usage_recent_days') | int %}
{%- set baseline = var('health_usage_baseline_days') | int %}
{%- set support_recent = var('health_support_recent_days') | int %}
{%- set support_baseline = var('health_support_baseline_days') | int %}
{%- set d = 'evaluations.evaluation_date' %}
with

evaluations as (
    select * from {{ ref('int_health_evaluations') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

product_usage as (
    select * from {{ ref('stg_product__product_usage') }}
),

support_tickets as (
    select * from {{ ref('stg_support__support_tickets') }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

nps_responses as (
    select * from {{ ref('stg_crm__nps_responses') }}
),

account_events as (
    select * from {{ ref('stg_crm__account_events') }}
),

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

usage_rows as (
    select
        evaluations.customer_id,
        evaluations.evaluation_date,
        product_usage.usage_date,
        product_usage.active_users,
        product_usage.key_actions,
        product_usage.usage_quantity,
        product_usage.usage_limit,
        product_usage.usage_date > {{ days_before(recent, d) }} as is_recent
    from evaluations
    inner join product_usage
        on
            evaluations.customer_id = product_usage.customer_id
            and evaluations.evaluation_date >= product_usage.usage_date
            and {{ days_before(recent + baseline, d) }} < product_usage.usage_date
),

usage_trends as (
    select
        customer_id,
        evaluation_date,
        avg(case when is_recent then active_users end) as recent_active_users,
        avg(case when not is_recent then active_users end) as baseline_active_users,
        avg(case when is_recent then key_actions end) as recent_key_actions,
        avg(case when not is_recent then key_actions end) as baseline_key_actions
    from usage_rows
    group by 1, 2
),

latest_usage_limits as (
    select
        customer_id,
        evaluation_date,
        usage_quantity,
        usage_limit,
        row_number() over (
            partition by customer_id, evaluation_date order by usage_date desc
        ) as recency
    from usage_rows
    where usage_limit > 0
),

support_load as (
    select
        evaluations.customer_id,
        evaluations.evaluation_date,
        sum(
            case
                when support_tickets.created_date > {{ days_before(support_recent, d) }}
                    then 1
                else 0
            end
        ) as tickets_recent,
        sum(
            case
                when support_tickets.created_date <= {{ days_before(support_recent, d) }}
                    then 1
                else 0
            end
        ) * {{ support_recent }} / cast({{ support_baseline }} as double)
            as tickets_baseline_per_period,
        sum(
            case
                when
                    support_tickets.priority in ('high', 'urgent')
                    and support_tickets.ticket_status in ('new', 'open', 'pending')
                    then 1
                else 0
            end
        ) as high_priority_open_tickets
    from evaluations
    inner join support_tickets
        on
            evaluations.customer_id = support_tickets.customer_id
            and evaluations.evaluation_date >= support_tickets.created_date
            and {{ days_before(support_recent + support_baseline, d) }}
            < support_tickets.created_date
    group by 1, 2
),

payments as (
    select
        evaluations.customer_id,
        evaluations.evaluation_date,
        sum(
            case
                when
                    invoices.invoice_status in ('failed', 'overdue')
                    and invoices.due_date > {{ days_before(var('health_payment_days'), d) }}
                    then 1
                else 0
            end
        ) as payment_failures
    from evaluations
    inner join invoices
        on
            evaluations.customer_id = invoices.customer_id
            and evaluations.evaluation_date >= invoices.due_date
            and {{ days_before(365, d) }} < invoices.due_date
    group by 1, 2
),

latest_nps as (
    select
        evaluations.customer_id,
        evaluations.evaluation_date,
        nps_responses.score,
        row_number() over (
            partition by evaluations.customer_id, evaluations.evaluation_date
            order by nps_responses.responded_date desc, nps_responses.response_id desc
        ) as recency
    from evaluations
    inner join nps_responses
        on
            evaluations.customer_id = nps_responses.customer_id
            and evaluations.evaluation_date >= nps_responses.responded_date
            and {{ days_before(365, d) }} < nps_responses.responded_date
),

relationship_events as (
    select
        evaluations.customer_id,
        evaluations.evaluation_date,
        max(
            case
                when
                    account_events.event_type = 'exec_sponsor_change'
                    and account_events.event_date
                    > {{ days_before(var('health_sponsor_change_days'), d) }}
                    then 1
                else 0
            end
        ) as exec_sponsor_change,
        max(
            case
                when
                    account_events.event_type = 'qbr_missed'
                    and account_events.event_date > {{ days_before(var('health_qbr_days'), d) }}
                    then 1
                else 0
            end
        ) as qbr_missed
    from evaluations
    inner join account_events
        on
            evaluations.customer_id = account_events.customer_id
            and evaluations.evaluation_date >= account_events.event_date
            and {{ days_before(365, d) }} < account_events.event_date
    group by 1, 2
),

renewal_candidates as (
    {#- Term items renew every billing interval from valid_from; next renewal after D. -#}
    select
        evaluations.customer_id,
        evaluations.evaluation_date,
        subscription_items.valid_from,
        subscription_items.months_in_interval,
        cast(
            floor(
                ({{ dbt.datediff(
                    'subscription_items.valid_from', 'evaluations.evaluation_date', 'month'
                ) }}) / subscription_items.months_in_interval
            ) * subscription_items.months_in_interval as integer
        ) as months_to_period_start
    from evaluations
    inner join subscription_items
        on
            evaluations.customer_id = subscription_items.customer_id
            and evaluations.evaluation_date >= subscription_items.valid_from
            and (
                subscription_items.valid_to is null
                or evaluations.evaluation_date < subscription_items.valid_to
            )
    where subscription_items.months_in_interval > 1
),

renewals as (
    select
        customer_id,
        evaluation_date,
        min(
            case
                when
                    cast({{ dbt.dateadd('month', 'months_to_period_start', 'valid_from') }} as date)
                    > evaluation_date
                    then cast(
                        {{ dbt.dateadd('month', 'months_to_period_start', 'valid_from') }} as date
                    )
                else cast(
                    {{ dbt.dateadd(
                        'month', 'months_to_period_start + months_in_interval', 'valid_from'
                    ) }} as date
                )
            end
        ) as next_renewal_date
    from renewal_candidates
    group by 1, 2
),

final as (
    select
        evaluations.customer_id,
        evaluations.month,
        evaluations.evaluation_date,
        evaluations.is_current,
        evaluations.mrr,
        evaluations.arr,
        (usage_trends.recent_active_users - usage_trends.baseline_active_users)
        / nullif(usage_trends.baseline_active_users, 0) * 100 as active_users_change_pct,
        (usage_trends.recent_key_actions - usage_trends.baseline_key_actions)
        / nullif(usage_trends.baseline_key_actions, 0) * 100 as key_actions_change_pct,
        cast(coalesce(support_load.tickets_recent, 0) as bigint) as tickets_last_30d,
        cast(support_load.tickets_baseline_per_period as double) as tickets_baseline_per_30d,
        cast(coalesce(support_load.high_priority_open_tickets, 0) as bigint)
            as high_priority_open_tickets,
        support_load.customer_id is not null as has_support_data,
        cast(coalesce(payments.payment_failures, 0) as bigint) as payment_failures_90d,
        payments.customer_id is not null as has_payment_data,
        latest_nps.score as latest_nps_score,
        coalesce(relationship_events.exec_sponsor_change, 0) = 1 as exec_sponsor_change_flag,
        coalesce(relationship_events.qbr_missed, 0) = 1 as qbr_missed_flag,
        latest_nps.customer_id is not null
        or relationship_events.customer_id is not null as has_relationship_data,
        cast(latest_usage_limits.usage_quantity as double)
        / latest_usage_limits.usage_limit * 100 as usage_limit_utilization_pct,
        renewals.next_renewal_date,
        cast(
            {{ dbt.datediff('evaluations.evaluation_date', 'renewals.next_renewal_date', 'day') }}
            as bigint
        ) as days_to_renewal
    from evaluations
    left join usage_trends
        on
            evaluations.customer_id = usage_trends.customer_id
            and evaluations.evaluation_date = usage_trends.evaluation_date
    left join latest_usage_limits
        on
            evaluations.customer_id = latest_usage_limits.customer_id
            and evaluations.evaluation_date = latest_usage_limits.evaluation_date
            and latest_usage_limits.recency = 1
    left join support_load
        on
            evaluations.customer_id = support_load.customer_id
            and evaluations.evaluation_date = support_load.evaluation_date
    left join payments
        on
            evaluations.customer_id = payments.customer_id
            and evaluations.evaluation_date = payments.evaluation_date
    left join latest_nps
        on
            evaluations.customer_id = latest_nps.customer_id
            and evaluations.evaluation_date = latest_nps.evaluation_date
            and latest_nps.recency = 1
    left join relationship_events
        on
            evaluations.customer_id = relationship_events.customer_id
            and evaluations.evaluation_date = relationship_events.evaluation_date
    left join renewals
        on
            evaluations.customer_id = renewals.customer_id
            and evaluations.evaluation_date = renewals.evaluation_date
)

select * from final
