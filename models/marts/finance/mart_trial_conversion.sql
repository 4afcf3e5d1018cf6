{#-
    Free trials per month, for the total and per segment, industry and region: trials
    started, trials decided (their first month end on or after trial_end) and how many of
    those converted. Definitions in _finance__models.yml.
-#}
with

trials as (
    select * from {{ ref('int_subscription_trials') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

trial_events as (
    {#- each trial counts once in its start month and once in its decision month -#}
    select
        trials.start_month as month,
        trials.customer_id,
        1 as trial_starts,
        0 as trials_decided,
        0 as trial_conversions
    from trials

    union all

    select
        trials.decision_month as month,
        trials.customer_id,
        0 as trial_starts,
        1 as trials_decided,
        case when trials.is_converted then 1 else 0 end as trial_conversions
    from trials
),

customer_events as (
    select
        trial_events.*,
        customers.segment,
        customers.industry,
        customers.region
    from trial_events
    inner join customers
        on trial_events.customer_id = customers.customer_id
    {#- months closed by as_of_date only: a trial ending later is not decided yet #}
    inner join calendar_months
        on trial_events.month = calendar_months.month
),

event_rows as (
    {{ with_dimension_rows('customer_events') }}
),

final as (
    select
        month,
        dimension,
        dimension_value,
        cast(sum(trial_starts) as bigint) as trial_starts,
        cast(sum(trials_decided) as bigint) as trials_decided,
        cast(sum(trial_conversions) as bigint) as trial_conversions,
        cast(sum(trial_conversions) as double)
        / nullif(cast(sum(trials_decided) as double), 0) * 100 as trial_conversion_rate_pct
    from event_rows
    group by 1, 2, 3
)

select * from final
