with

source as (
    select * from {{ raw_relation('billing', 'subscription_items') }}
),

renamed as (
    select
        ---------- ids
        trim(source.subscription_item_id) as subscription_item_id,
        trim(source.subscription_id) as subscription_id,
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- strings
        {{ normalise_enum('source.product') }} as product,
        {{ normalise_enum('source.plan_tier') }} as plan_tier,
        {{ normalise_enum('source.pricing_model') }} as pricing_model,
        {{ normalise_enum('source.billing_interval') }} as billing_interval,
        {#- empty = 1: billed every interval -#}
        coalesce(cast(source.interval_count as integer), 1) as interval_count,
        upper(trim(source.currency)) as currency,

        ---------- numerics
        cast(source.quantity as double) as quantity,
        cast(source.amount as double) as amount_local,
        {#- empty = no discount: the charge before discounts is amount -#}
        cast(coalesce(source.list_amount, source.amount) as double) as list_amount_local,

        ---------- dates
        cast(source.valid_from as date) as valid_from,
        cast(source.valid_to as date) as valid_to,
        cast(source.trial_end as date) as trial_end,
        cast(source.canceled_at as date) as canceled_at,
        cast(source.discount_end as date) as discount_end
    from source
    {{ reporting_accounts_join('source.customer_id') }}
),

with_mrr as (
    select
        *,
        case billing_interval
            when 'day' then 365
            when 'week' then 52
            when 'month' then 12
            when 'quarter' then 4
            when 'year' then 1
        end as intervals_per_year,
        {#- whole months in one billing period; null for day and week -#}
        case billing_interval
            when 'month' then 1
            when 'quarter' then 3
            when 'year' then 12
        end * interval_count as months_in_interval,
        pricing_model = 'usage' as is_usage
    from renamed
),

final as (
    select
        *,
        {#- MRR in currency: charge x intervals_per_year / 12 / interval_count (the
            reporting currency's MRR is int_subscription_items_converted's) -#}
        {{ monthly_amount('amount_local') }} as mrr_local,
        {{ monthly_amount('list_amount_local') }} as list_mrr_local
    from with_mrr
)

select * from final
