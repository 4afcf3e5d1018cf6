{#-
    The billing customers of CRM accounts (Salesforce accounts, HubSpot companies), as
    CTEs ending in `final` (crm_account_id, customer_id, link). `account_ids` names a CTE
    of the model with the accounts to link (column crm_account_id, trimmed text).

    An account's billing customers come from the first of these routes that gives any:
      1. stripe_metadata: Stripe customers whose metadata key (var stripe_crm_account_key)
         holds the account id (only when billing_source is stripe);
      2. crosswalk: rows of the customer_crosswalk seed with this crm_account_id;
      3. same_id: the account id itself when it is a billing customer id (a raw contract
         customer, or a Stripe customer).
    An account linked to several billing customers by its route keeps every link here; the
    adapters quarantine its opportunities rather than guess. An account without any link
    is absent.
-#}
{% macro crm_account_customers(account_ids) -%}
link_candidates as (
    {%- if var('billing_source') == 'stripe' %}
    select
        trim(crm_account_id) as crm_account_id,
        trim(customer_id) as customer_id,
        'stripe_metadata' as link,
        1 as link_rank
    from {{ ref('base_stripe__customer_crm_links') }}
    where crm_account_id is not null
    union all
    {%- endif %}
    select
        trim(crm_account_id) as crm_account_id,
        trim(billing_customer_id) as customer_id,
        'crosswalk' as link,
        2 as link_rank
    from {{ ref('customer_crosswalk') }}
    union all
    select
        trim(customer_id) as crm_account_id,
        trim(customer_id) as customer_id,
        'same_id' as link,
        3 as link_rank
    {%- if var('billing_source') == 'stripe' %}
    from {{ ref('base_stripe__customer_crm_links') }}
    {%- else %}
    from {{ source('billing', 'customers') }}
    {%- endif %}
),

account_links as (
    select link_candidates.*
    from link_candidates
    inner join {{ account_ids }}
        on link_candidates.crm_account_id = {{ account_ids }}.crm_account_id
    where link_candidates.customer_id is not null and link_candidates.customer_id != ''
),

first_route as (
    select
        crm_account_id,
        min(link_rank) as link_rank
    from account_links
    group by crm_account_id
),

final as (
    select distinct
        account_links.crm_account_id,
        account_links.customer_id,
        account_links.link
    from account_links
    inner join first_route
        on
            account_links.crm_account_id = first_route.crm_account_id
            and account_links.link_rank = first_route.link_rank
)
{%- endmacro %}
