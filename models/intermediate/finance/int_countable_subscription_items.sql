{#-
    Subscription items that count in MRR, one row per item: a known customer, an MRR in
    the reporting currency (an fx rate, within the supported range), valid_from on or
    after earliest_date (quarantined items stay out), and usage lines only while
    include_usage_in_mrr is true. The billing policies that shape an item's own dates
    (trials, the var churn_recognition) give counted_from and counted_to; definitions in
    _finance__models.yml.
-#}
with

subscription_items as (
    select * from {{ ref('int_subscription_items_converted') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

plan_tiers as (
    select * from {{ ref('plan_tiers') }}
),

final as (
    select
        subscription_items.subscription_item_id,
        subscription_items.customer_id,
        subscription_items.product,
        subscription_items.pricing_model,
        subscription_items.quantity,
        subscription_items.currency,
        subscription_items.mrr,
        coalesce(subscription_items.list_mrr, subscription_items.mrr) as list_mrr,
        subscription_items.mrr_local,
        coalesce(subscription_items.list_mrr_local, subscription_items.mrr_local)
            as list_mrr_local,
        subscription_items.valid_from,
        subscription_items.valid_to,
        subscription_items.trial_end,
        subscription_items.canceled_at,
        subscription_items.discount_end,
        {#- trial months never count: from trial_end on (exclusive end of the trial) -#}
        case
            when subscription_items.trial_end > subscription_items.valid_from
                then subscription_items.trial_end
            else subscription_items.valid_from
        end as counted_from,
        {%- if var('churn_recognition') == 'cancellation' %}
            {#- MRR stops at the end of the month the cancellation was asked for -#}
            {%- set cancel_month_end = 'cast(' ~ dbt.last_day('subscription_items.canceled_at', 'month') ~ ' as date)' %}
            case
                when subscription_items.canceled_at is null then subscription_items.valid_to
                when subscription_items.valid_to < {{ cancel_month_end }}
                    then subscription_items.valid_to
                else {{ cancel_month_end }}
            end as counted_to,
        {%- else %}
            subscription_items.valid_to as counted_to,
        {%- endif %}
        plan_tiers.tier_rank
    from subscription_items
    inner join customers
        on subscription_items.customer_id = customers.customer_id
    left join plan_tiers
        on subscription_items.plan_tier = plan_tiers.plan_tier
    where
        subscription_items.mrr is not null
        and subscription_items.valid_from >= cast('{{ var("earliest_date") }}' as date)
        and (
            {{ var('include_usage_in_mrr') }}
            or not subscription_items.is_usage
        )
)

select * from final
