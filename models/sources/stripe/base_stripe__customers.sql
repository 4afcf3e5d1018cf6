{#-
    The raw contract's customers from Stripe: one row per Stripe customer, deleted ones
    included (their history counts). segment, industry and region come from the
    customer's metadata keys (vars stripe_segment_key, stripe_industry_key,
    stripe_region_key), else, when crm_source is salesforce or hubspot, from the linked
    CRM account (the account whose base_<crm>__account_customers row names this customer;
    the one the customer's metadata names first, else the lowest account id).
-#}
{%- set crm = var('crm_source') %}
{%- set uses_crm = crm in ['salesforce', 'hubspot'] %}
{%- set metadata = "nullif(trim(cast(customers.metadata as " ~ dbt.type_string() ~ ")), '')" %}

{#- each attribute: the metadata key's text, else the linked CRM account's field -#}
{%- set attributes = {} %}
{%- for attribute in ['segment', 'industry', 'region'] %}
    {%- set key = var('stripe_' ~ attribute ~ '_key') %}
    {%- set from_metadata = ("nullif(trim(" ~ json_text(metadata, key) ~ "), '')") if key
        else 'null' %}
    {%- do attributes.update({attribute: 'cast(coalesce(' ~ from_metadata ~ ', linked_accounts.'
        ~ attribute ~ ') as ' ~ dbt.type_string() ~ ')'}) %}
{%- endfor %}

{#- the CRM's accounts and their billing customers; empty relations without a CRM -#}
{%- set string = dbt.type_string() %}
{%- set account_customers_sql = ('select * from ' ~ ref('base_' ~ crm ~ '__account_customers'))
    if uses_crm else ('select cast(null as ' ~ string ~ ') as crm_account_id, cast(null as '
    ~ string ~ ') as customer_id where 1 = 0') %}
{%- set crm_accounts_sql = ('select * from ' ~ ref('base_' ~ crm ~ '__accounts'))
    if uses_crm else ('select cast(null as ' ~ string ~ ') as crm_account_id, cast(null as '
    ~ string ~ ') as segment, cast(null as ' ~ string ~ ') as industry, cast(null as '
    ~ string ~ ') as region where 1 = 0') %}

with

customers as (
    select * from {{ source('stripe', 'customer') }}
),

crm_links as (
    select * from {{ ref('base_stripe__customer_crm_links') }}
),

account_customers as (
    {{ account_customers_sql }}
),

crm_accounts as (
    {{ crm_accounts_sql }}
),

ranked_accounts as (
    select
        account_customers.customer_id,
        crm_accounts.segment,
        crm_accounts.industry,
        crm_accounts.region,
        row_number() over (
            partition by account_customers.customer_id
            order by
                case when crm_links.crm_account_id is not null then 0 else 1 end,
                account_customers.crm_account_id
        ) as account_rank
    from account_customers
    inner join crm_accounts
        on account_customers.crm_account_id = crm_accounts.crm_account_id
    left join crm_links
        on
            account_customers.customer_id = crm_links.customer_id
            and account_customers.crm_account_id = crm_links.crm_account_id
),

linked_accounts as (
    select * from ranked_accounts
    where account_rank = 1
),

final as (
    select
        cast(customers.id as {{ dbt.type_string() }}) as customer_id,
        cast(customers.name as {{ dbt.type_string() }}) as customer_name,
        {{ attributes['segment'] }} as segment,
        {{ attributes['industry'] }} as industry,
        {{ attributes['region'] }} as region,
        cast(cast(customers.created as {{ dbt.type_timestamp() }}) as date) as created_at,
        cast(null as {{ dbt.type_string() }}) as parent_customer_id
    from customers
    left join linked_accounts
        on cast(customers.id as {{ dbt.type_string() }}) = linked_accounts.customer_id
)

select * from final
