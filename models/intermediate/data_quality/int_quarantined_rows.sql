{#-
    Rows that pass the loader but break a rule it cannot see, one row per broken rule.
    Staging keeps every row; downstream models leave these rows out, and the warning
    test assert_no_quarantined_rows counts them on every build.
-#}
with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

opportunities as (
    select * from {{ ref('stg_crm__opportunities') }}
),

opportunity_stage_history as (
    select * from {{ ref('stg_crm__opportunity_stage_history') }}
),

plan_tiers as (
    select * from {{ ref('plan_tiers') }}
),

items_unknown_customer as (
    select
        'subscription_items' as source_table,
        subscription_items.subscription_item_id as row_key,
        subscription_items.customer_id,
        'unknown customer_id' as reason
    from subscription_items
    left join customers
        on subscription_items.customer_id = customers.customer_id
    where customers.customer_id is null
),

items_without_rate as (
    select
        'subscription_items' as source_table,
        subscription_item_id as row_key,
        customer_id,
        'no fx_rates rate for currency ' || currency || ' on or before as_of_date' as reason
    from subscription_items
    where fx_rate_to_reporting is null
),

items_unknown_tier as (
    select
        'subscription_items' as source_table,
        subscription_items.subscription_item_id as row_key,
        subscription_items.customer_id,
        'plan_tier '
        || subscription_items.plan_tier
        || ' is not in the plan_tiers seed' as reason
    from subscription_items
    left join plan_tiers
        on subscription_items.plan_tier = plan_tiers.plan_tier
    where
        subscription_items.plan_tier is not null
        and plan_tiers.plan_tier is null
),

invoices_without_rate as (
    select
        'invoices' as source_table,
        invoice_id as row_key,
        customer_id,
        'no fx_rates rate for currency ' || currency || ' on or before as_of_date' as reason
    from invoices
    where amount is null
),

opportunities_without_rate as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        customer_id,
        'no fx_rates rate for currency ' || currency || ' on or before as_of_date' as reason
    from opportunities
    where arr is null
),

opportunities_unknown_customer as (
    select
        'opportunities' as source_table,
        opportunities.opportunity_id as row_key,
        opportunities.customer_id,
        'unknown customer_id' as reason
    from opportunities
    left join customers
        on opportunities.customer_id = customers.customer_id
    where customers.customer_id is null
),

history_unknown_opportunity as (
    select
        'opportunity_stage_history' as source_table,
        opportunity_stage_history.opportunity_id as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'unknown opportunity_id' as reason
    from opportunity_stage_history
    left join opportunities
        on opportunity_stage_history.opportunity_id = opportunities.opportunity_id
    where opportunities.opportunity_id is null
),

final as (
    select * from items_unknown_customer
    union all
    select * from items_without_rate
    union all
    select * from items_unknown_tier
    union all
    select * from invoices_without_rate
    union all
    select * from opportunities_without_rate
    union all
    select * from opportunities_unknown_customer
    union all
    select * from history_unknown_opportunity
)

select * from final
