{#-
    Renewal signal of each evaluated customer on its evaluation date D, one row per
    evaluation with a term item (billed every 2 months or more: quarterly, annual) active
    on D: the next renewal after D and the days to it. Definitions in _health__models.yml.
    An item counts only for the evaluations dated from its valid_from to the day before
    its valid_to (every later one while it has none): bucketed by a range join with the
    few evaluation dates (the exact day bounds), the next renewal taken per customer and
    evaluation date, and kept for the customers evaluated then (equi-join on customer_id,
    month, evaluation_date), as in int_health_usage_signals.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
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

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

item_buckets as (
    {#-
        Each term item once per evaluation date it is active on (and that date's month):
        a range join with the few evaluation dates, not with every customer's evaluations.
    -#}
    select
        evaluation_dates.month,
        evaluation_dates.evaluation_date,
        subscription_items.customer_id,
        subscription_items.valid_from,
        subscription_items.months_in_interval
    from subscription_items
    inner join evaluation_dates
        on
            subscription_items.valid_from <= evaluation_dates.evaluation_date
            and (
                subscription_items.valid_to is null
                or subscription_items.valid_to > evaluation_dates.evaluation_date
            )
    where subscription_items.months_in_interval > 1
),

renewal_candidates as (
    {#- Term items renew every billing interval from valid_from; the next renewal after D. -#}
    select
        customer_id,
        month,
        evaluation_date,
        valid_from,
        months_in_interval,
        cast(
            floor(
                ({{ dbt.datediff('valid_from', 'evaluation_date', 'month') }})
                / months_in_interval
            ) * months_in_interval as integer
        ) as months_to_period_start
    from item_buckets
),

renewals as (
    select
        customer_id,
        month,
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
    group by 1, 2, 3
),

final as (
    select
        renewals.customer_id,
        renewals.month,
        renewals.evaluation_date,
        renewals.next_renewal_date,
        cast(
            {{ dbt.datediff('renewals.evaluation_date', 'renewals.next_renewal_date', 'day') }}
            as bigint
        ) as days_to_renewal
    from renewals
    inner join evaluations
        on
            renewals.customer_id = evaluations.customer_id
            and renewals.month = evaluations.month
            and renewals.evaluation_date = evaluations.evaluation_date
)

select * from final
