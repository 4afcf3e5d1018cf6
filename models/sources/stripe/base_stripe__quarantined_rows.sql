{#-
    Stripe rows the adapter cannot map to the raw contract: left out of its relations and
    listed here (int_quarantined_rows shows them with every other quarantined row).
    subscription_items: versions whose price interval, price, metadata pricing model or
    dates break a rule (row_key: the Stripe subscription item id), and subscription
    lines whose subscription is not in the subscription table (row_key: the line id).
    invoices: invoices whose status is none of paid, open, uncollectible, draft, void.
-#}
{%- set subscriptions_table = 'subscription_history' if var('stripe_using_subscription_history')
    else 'subscription' %}

with

mapped_items as (
    select * from {{ ref('base_stripe__subscription_items_mapped') }}
),

lines as (
    select * from {{ source('stripe', 'invoice_line_item') }}
),

subscriptions as (
    select * from {{ ref('base_stripe__subscriptions') }}
),

invoices as (
    select * from {{ source('stripe', 'invoice') }}
),

unmapped_items as (
    select distinct
        'subscription_items' as source_table,
        stripe_item_id as row_key,
        customer_id,
        quarantine_reason as reason
    from mapped_items
    where quarantine_reason is not null
),

lines_without_subscription as (
    select
        'subscription_items' as source_table,
        cast(lines.id as {{ dbt.type_string() }}) as row_key,
        cast(null as {{ dbt.type_string() }}) as customer_id,
        'stripe.invoice_line_item ' || cast(lines.id as {{ dbt.type_string() }})
        || ' subscription_id '''
        || coalesce(cast(lines.subscription_id as {{ dbt.type_string() }}), 'null')
        || ''' is not in stripe.{{ subscriptions_table }}' as reason
    from lines
    left join subscriptions
        on cast(lines.subscription_id as {{ dbt.type_string() }}) = subscriptions.subscription_id
    where
        lower(trim(lines.type)) = 'subscription'
        and not coalesce(cast(lines.proration as boolean), false)
        and subscriptions.subscription_id is null
),

invoices_unknown_status as (
    select
        'invoices' as source_table,
        cast(id as {{ dbt.type_string() }}) as row_key,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,
        'stripe.invoice ' || cast(id as {{ dbt.type_string() }}) || ' status '''
        || coalesce(cast(status as {{ dbt.type_string() }}), 'null')
        || ''' is not paid, open, uncollectible, draft or void' as reason
    from invoices
    where
        coalesce(lower(trim(status)), '')
        not in ('paid', 'open', 'uncollectible', 'draft', 'void')
),

final as (
    select * from unmapped_items
    union all
    select * from lines_without_subscription
    union all
    select * from invoices_unknown_status
)

select * from final
