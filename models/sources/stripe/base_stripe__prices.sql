{#-
    One row per Stripe price (or legacy plan, var stripe_using_price false) with its
    product and the metadata that decides pricing model and tier: the price's key, else
    the product's. Legacy plans name their columns amount, interval, interval_count and
    usage_type, and may have no metadata column.
-#}
{%- set using_price = var('stripe_using_price') %}
{%- set prices_relation = source('stripe', 'price' if using_price else 'plan') %}
{%- set interval_column = 'recurring_interval' if using_price else adapter.quote('interval') %}
{%- set count_column = 'recurring_interval_count' if using_price else 'interval_count' %}
{%- set usage_column = 'recurring_usage_type' if using_price else 'usage_type' %}
{%- set price_metadata_column = connector_column(prices_relation, 'metadata') %}
{%- set price_metadata = ('prices.' ~ price_metadata_column)
    if price_metadata_column == 'metadata' else price_metadata_column %}

{#- a metadata key's text (null when absent or empty, or when the key var is empty) -#}
{%- set metadata = {} %}
{%- for attribute in ['pricing_model', 'plan_tier'] %}
    {%- set key = var('stripe_' ~ attribute ~ '_key') %}
    {%- for owner, column in [('price', price_metadata), ('product', 'products.metadata')] %}
        {%- set text = "nullif(trim(cast(" ~ column ~ " as " ~ dbt.type_string() ~ ")), '')" %}
        {%- do metadata.update({owner ~ '_' ~ attribute:
            ("nullif(trim(" ~ json_text(text, key) ~ "), '')") if key
            else ("cast(null as " ~ dbt.type_string() ~ ")")}) %}
    {%- endfor %}
{%- endfor %}

with

prices as (
    select * from {{ prices_relation }}
),

products as (
    select * from {{ source('stripe', 'product') }}
),

renamed as (
    select
        ---------- ids
        cast(prices.id as {{ dbt.type_string() }}) as price_id,
        cast(prices.product_id as {{ dbt.type_string() }}) as product_id,

        ---------- strings
        trim(products.name) as product_name,
        upper(trim(prices.currency)) as currency,
        trim(prices.nickname) as nickname,
        lower(trim(prices.billing_scheme)) as billing_scheme,
        lower(trim(prices.{{ interval_column }})) as recurring_interval,
        lower(trim(prices.{{ usage_column }})) as usage_type,
        {{ metadata['price_pricing_model'] }} as price_pricing_model,
        {{ metadata['product_pricing_model'] }} as product_pricing_model,
        {{ metadata['price_plan_tier'] }} as price_plan_tier,
        {{ metadata['product_plan_tier'] }} as product_plan_tier,

        ---------- numerics
        cast(prices.{{ count_column }} as {{ dbt.type_bigint() }}) as interval_count
    from prices
    left join products
        on
            cast(prices.product_id as {{ dbt.type_string() }})
            = cast(products.id as {{ dbt.type_string() }})
)

select * from renamed
