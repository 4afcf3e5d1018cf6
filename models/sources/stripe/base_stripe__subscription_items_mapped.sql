{#-
    Every version of base_stripe__subscription_item_versions mapped to the raw contract's
    subscription_items columns (rules 6 to 8 of _stripe__models.yml), with the reason it
    cannot be mapped (null when it can): base_stripe__subscription_items keeps the rows
    without a reason, base_stripe__quarantined_rows lists the others.
-#}
{%- set prices_table = 'price' if var('stripe_using_price') else 'plan' %}

with

versions as (
    select * from {{ ref('base_stripe__subscription_item_versions') }}
),

prices as (
    select * from {{ ref('base_stripe__prices') }}
),

minor_units as (
    select * from {{ ref('currency_minor_units') }}
),

plan_tiers as (
    select * from {{ ref('plan_tiers') }}
),

joined as (
    select
        versions.*,
        prices.product_id,
        prices.product_name,
        prices.nickname,
        prices.recurring_interval,
        prices.interval_count,
        coalesce(minor_units.minor_unit, 2) as minor_unit,
        {#- metadata decides first: the price's key, else the product's -#}
        case
            when prices.price_pricing_model is not null
                then 'stripe.price ' || prices.price_id
            when prices.product_pricing_model is not null
                then 'stripe.product ' || prices.product_id
        end as pricing_model_owner,
        lower(coalesce(prices.price_pricing_model, prices.product_pricing_model))
            as metadata_pricing_model,
        coalesce(prices.price_plan_tier, prices.product_plan_tier) as metadata_plan_tier,
        prices.usage_type,
        prices.billing_scheme,
        prices.price_id is not null as price_known,
        plan_tiers.plan_tier as nickname_plan_tier
    from versions
    left join prices
        on versions.price_id = prices.price_id
    left join minor_units
        on versions.currency = minor_units.currency
    left join plan_tiers
        on {{ normalise_enum('prices.nickname') }} = plan_tiers.plan_tier
),

mapped as (
    select
        ---------- ids
        stripe_item_id || '@' || cast(valid_from as {{ dbt.type_string() }})
            as subscription_item_id,
        subscription_id,
        customer_id,

        ---------- strings
        product_name as product,
        coalesce(metadata_plan_tier, nickname_plan_tier) as plan_tier,
        case
            when metadata_pricing_model is not null then metadata_pricing_model
            when usage_type = 'metered' then 'usage'
            when billing_scheme = 'per_unit' and max_item_quantity > 1 then 'seat'
            else 'flat'
        end as pricing_model,
        currency,
        recurring_interval as billing_interval,

        ---------- numerics
        quantity,
        net_amount_minor / power(10, minor_unit) as amount,
        coalesce(interval_count, 1) as interval_count,

        ---------- dates
        valid_from,
        valid_to,

        ---------- why the version cannot be mapped (null: it can)
        stripe_item_id,
        case
            when not price_known
                then
                    'stripe.invoice_line_item of subscription item ' || stripe_item_id
                    || ' has price ' || coalesce(price_id, 'null')
                    || ' that is not in stripe.{{ prices_table }}'
            when
                recurring_interval is null
                or recurring_interval not in ('day', 'week', 'month', 'year')
                then
                    'stripe.price ' || price_id || ' recurring_interval '''
                    || coalesce(recurring_interval, 'null')
                    || ''' is not day, week, month or year'
            when interval_count < 1
                then
                    'stripe.price ' || price_id || ' recurring_interval_count '
                    || cast(interval_count as {{ dbt.type_string() }}) || ' is not 1 or more'
            when metadata_pricing_model not in ('seat', 'flat', 'usage')
                then
                    pricing_model_owner || ' metadata {{ var("stripe_pricing_model_key") }} '''
                    || metadata_pricing_model || ''' is not seat, flat or usage'
            when valid_to < valid_from
                then
                    'stripe.invoice_line_item periods of subscription item ' || stripe_item_id
                    || ' start on ' || cast(valid_from as {{ dbt.type_string() }})
                    || ', after its subscription ' || subscription_id || ' ended on '
                    || cast(valid_to as {{ dbt.type_string() }})
        end as quarantine_reason
    from joined
    {#- a version cut to no time by ended_at never counted: nothing to map #}
    where valid_to is null or valid_to <> valid_from
)

select * from mapped
