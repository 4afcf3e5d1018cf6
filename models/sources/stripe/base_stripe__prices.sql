{#-
    One row per Stripe price (or legacy plan, var stripe_using_price false) with its
    product and the metadata that decides pricing model and tier: the price's key, else
    the product's. Legacy plans name their columns amount, interval, interval_count and
    usage_type, and may have no metadata column.
-#}
{%- set using_price = var('stripe_using_price') %}
{%- set prices_relation = source('stripe', 'price' if using_price else 'plan') %}
{%- set pricing_model_key = var('stripe_pricing_model_key') %}
{%- set plan_tier_key = var('stripe_plan_tier_key') %}

{%- set price_metadata_column = connector_column(prices_relation, 'metadata') %}
{%- set price_metadata = ('prices.' ~ price_metadata_column)
    if price_metadata_column == 'metadata' else price_metadata_column %}

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
        {%- if using_price %}
        lower(trim(prices.recurring_interval)) as recurring_interval,
        lower(trim(prices.recurring_usage_type)) as usage_type,
        {%- else %}
        lower(trim(prices.{{ adapter.quote('interval') }})) as recurring_interval,
        lower(trim(prices.usage_type)) as usage_type,
        {%- endif %}
        {#- metadata: the price's key, else the product's (null when the key var is empty) -#}
        {%- for key_var, attribute in [(pricing_model_key, 'pricing_model'),
                                       (plan_tier_key, 'plan_tier')] %}
        {%- for owner, column in [('price', price_metadata), ('product', 'products.metadata')] %}
        {%- if key_var %}
        nullif(trim({{ json_text('nullif(trim(cast(' ~ column ~ ' as ' ~ dbt.type_string()
            ~ ')), \'\')', key_var) }}), '') as {{ owner }}_{{ attribute }},
        {%- else %}
        cast(null as {{ dbt.type_string() }}) as {{ owner }}_{{ attribute }},
        {%- endif %}
        {%- endfor %}
        {%- endfor %}

        ---------- numerics
        {%- if using_price %}
        cast(prices.recurring_interval_count as {{ dbt.type_bigint() }}) as interval_count
        {%- else %}
        cast(prices.interval_count as {{ dbt.type_bigint() }}) as interval_count
        {%- endif %}
    from prices
    left join products
        on cast(prices.product_id as {{ dbt.type_string() }})
        = cast(products.id as {{ dbt.type_string() }})
)

select * from renamed
