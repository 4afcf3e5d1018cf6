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
    select * from {{ ref('int_subscription_items_converted') }}
),

invoices as (
    select * from {{ ref('stg_billing__invoices') }}
),

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

opportunity_stage_history as (
    select * from {{ ref('stg_crm__opportunity_stage_history') }}
),

plan_tiers as (
    select * from {{ ref('plan_tiers') }}
),

constant_rates as (
    select * from {{ ref('int_constant_currency_rates') }}
),

invoices_converted as (
    {#- invoices are converted only to be checked: no model reads their amount -#}
    select
        invoices.*,
        constant_rates.currency is not null as has_rate,
        {{ bounded_amount('invoices.amount_local * constant_rates.rate_to_reporting') }} as amount
    from invoices
    left join constant_rates
        on invoices.currency = constant_rates.currency
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

items_over_limit as (
    select
        'subscription_items' as source_table,
        subscription_item_id as row_key,
        customer_id,
        'mrr in the reporting currency is beyond the supported limit of 999,999,999,999 '
        || '(amount ' || cast(amount_local as {{ dbt.type_string() }}) || ' ' || currency
        || ' per ' || case
            when interval_count > 1
                then cast(interval_count as {{ dbt.type_string() }}) || ' '
            else ''
        end || billing_interval || ')' as reason
    from subscription_items
    where fx_rate_to_reporting is not null and mrr is null
),

items_before_earliest_date as (
    select
        'subscription_items' as source_table,
        subscription_item_id as row_key,
        customer_id,
        'valid_from ' || cast(valid_from as {{ dbt.type_string() }})
        || ' is before earliest_date {{ var("earliest_date") }}' as reason
    from subscription_items
    where valid_from < cast('{{ var("earliest_date") }}' as date)
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
        case
            when not has_rate
                then
                    'no fx_rates rate for currency ' || currency
                    || ' on or before as_of_date'
            else
                'amount in the reporting currency is beyond the supported limit of '
                || '999,999,999,999'
        end as reason
    from invoices_converted
    where amount is null
),

opportunities_without_rate as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        customer_id,
        case
            when fx_rate_to_reporting is null
                then
                    'no fx_rates rate for currency ' || currency
                    || ' on or before as_of_date'
            else
                'arr in the reporting currency is beyond the supported limit of '
                || '999,999,999,999'
        end as reason
    from opportunities
    where arr is null
),

opportunities_closed_before_created as (
    select
        'opportunities' as source_table,
        opportunity_id as row_key,
        customer_id,
        'close_date ' || cast(close_date as {{ dbt.type_string() }})
        || ' is before created_date ' || cast(created_date as {{ dbt.type_string() }})
            as reason
    from opportunities
    where close_date < created_date
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
    select * from items_over_limit
    union all
    select * from items_before_earliest_date
    union all
    select * from items_unknown_tier
    union all
    select * from invoices_without_rate
    union all
    select * from opportunities_without_rate
    union all
    select * from opportunities_unknown_customer
    union all
    select * from opportunities_closed_before_created
    union all
    select * from history_unknown_opportunity
    {%- for connector in selected_connectors() %}
    union all
    {#- rows a connector adapter could not map to the raw contract, with its reason #}
    select
        source_table,
        row_key,
        customer_id,
        reason
    from {{ ref('base_' ~ connector ~ '__quarantined_rows') }}
    {%- endfor %}
)

select * from final
