with

source as (
    select * from {{ raw_relation('billing', 'subscription_items') }}
),

constant_rates as (
    {{ constant_currency_rates() }}
),

renamed as (
    select
        ---------- ids
        trim(source.subscription_item_id) as subscription_item_id,
        trim(source.subscription_id) as subscription_id,
        trim(source.customer_id) as customer_id,

        ---------- strings
        {{ normalise_enum('source.product') }} as product,
        {{ normalise_enum('source.plan_tier') }} as plan_tier,
        {{ normalise_enum('source.pricing_model') }} as pricing_model,
        {{ normalise_enum('source.billing_interval') }} as billing_interval,
        upper(trim(source.currency)) as currency,

        ---------- numerics
        cast(source.quantity as double) as quantity,
        cast(source.amount as double) as amount_local,
        constant_rates.rate_to_reporting as fx_rate_to_reporting,

        ---------- dates
        cast(source.valid_from as date) as valid_from,
        cast(source.valid_to as date) as valid_to
    from source
    left join constant_rates
        on upper(trim(source.currency)) = constant_rates.currency
),

with_mrr as (
    select
        *,
        case billing_interval
            when 'month' then 1
            when 'quarter' then 3
            when 'year' then 12
        end as months_in_interval,
        pricing_model = 'usage' as is_usage
    from renamed
),

{#-
    MRR is a decimal(18, 6): below 1e12. A larger MRR (an amount the loader accepts,
    converted at a rate above 1) is left null, never a cast error; int_quarantined_rows
    names the item and the limit.
-#}
{%- set mrr_limit = 999999999999 %}

final as (
    select
        *,
        case
            when abs(amount_local / months_in_interval) < {{ mrr_limit }}
                then cast(amount_local / months_in_interval as decimal(18, 6))
        end as mrr_local,
        case
            when abs(amount_local * fx_rate_to_reporting / months_in_interval) < {{ mrr_limit }}
                then cast(
                    amount_local * fx_rate_to_reporting / months_in_interval as decimal(18, 6)
                )
        end as mrr
    from with_mrr
)

select * from final
