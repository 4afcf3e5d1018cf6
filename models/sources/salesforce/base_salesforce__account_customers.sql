{#-
    The billing customer(s) of each Salesforce account (macros/crm_account_customers.sql:
    Stripe customer metadata, else the customer_crosswalk seed, else the account id when
    it is a billing customer id). The accounts are those of the account table and those
    opportunities point at, deleted rows left out.
-#}
with

account as (
    select * from {{ source('salesforce', 'account') }}
),

opportunity as (
    select * from {{ source('salesforce', 'opportunity') }}
),

account_ids as (
    select trim(cast(id as {{ dbt.type_string() }})) as crm_account_id
    from account
    where not coalesce(is_deleted, false)
    union
    select trim(cast(account_id as {{ dbt.type_string() }})) as crm_account_id
    from opportunity
    where not coalesce(is_deleted, false) and account_id is not null
),

{{ crm_account_customers('account_ids') }}

select * from final
