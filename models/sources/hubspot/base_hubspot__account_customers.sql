{#-
    The billing customer(s) of each HubSpot company (macros/crm_account_customers.sql:
    Stripe customer metadata, else the customer_crosswalk seed, else the company id when
    it is a billing customer id). The companies are those of the company table and those
    deals are associated with, deleted rows left out.
-#}
with

company as (
    select * from {{ source('hubspot', 'company') }}
),

deal_companies as (
    select * from {{ ref('base_hubspot__deal_companies') }}
),

account_ids as (
    select trim(cast(id as {{ dbt.type_string() }})) as crm_account_id
    from company
    where not coalesce(is_deleted, false)
    union
    select company_id as crm_account_id
    from deal_companies
),

{{ crm_account_customers('account_ids') }}

select * from final
