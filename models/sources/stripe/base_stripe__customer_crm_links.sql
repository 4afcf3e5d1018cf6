{#-
    One row per Stripe customer with the CRM account id its metadata holds: the key named
    by var stripe_crm_account_key, or when that var is empty salesforce_account_id
    (crm_source salesforce) or hubspot_company_id (hubspot); null otherwise. The CRM
    adapters link opportunities to billing customers through it (then through
    customer_crosswalk).
-#}
{%- set key = var('stripe_crm_account_key') or {
    'salesforce': 'salesforce_account_id', 'hubspot': 'hubspot_company_id'
}.get(var('crm_source'), '') %}
{%- set metadata = "nullif(trim(cast(metadata as " ~ dbt.type_string() ~ ")), '')" %}
{%- set crm_account_id = ("nullif(trim(" ~ json_text(metadata, key) ~ "), '')") if key
    else ("cast(null as " ~ dbt.type_string() ~ ")") %}

with

customers as (
    select * from {{ source('stripe', 'customer') }}
),

final as (
    select
        cast(id as {{ dbt.type_string() }}) as customer_id,
        {{ crm_account_id }} as crm_account_id
    from customers
)

select * from final
