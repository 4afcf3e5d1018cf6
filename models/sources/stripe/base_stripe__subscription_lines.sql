{#-
    The invoice lines that make subscription item history (rules 1 and 2 of
    _stripe__models.yml): non-proration subscription lines of invoices that are not
    draft or void, of subscriptions whose current status is not incomplete or
    incomplete_expired, leaving out trial lines (period_start before trial_end); a period
    of an item billed on several invoices counts once (the latest invoice's line).
    Amounts stay in the currency's minor units.
-#}
{%- set price_column = 'price_id' if var('stripe_using_price') else 'plan_id' %}

with

lines as (
    select * from {{ source('stripe', 'invoice_line_item') }}
),

invoices as (
    select * from {{ source('stripe', 'invoice') }}
),

subscriptions as (
    select * from {{ ref('base_stripe__subscriptions') }}
),

subscription_lines as (
    select
        ---------- ids
        {#- a line id is unique only within its invoice (sli_ ids repeat across invoices) #}
        cast(lines.invoice_id as {{ dbt.type_string() }}) || '/'
        || cast(lines.id as {{ dbt.type_string() }}) as line_id,
        cast(lines.invoice_id as {{ dbt.type_string() }}) as invoice_id,
        cast(lines.subscription_id as {{ dbt.type_string() }}) as subscription_id,
        cast(lines.subscription_item_id as {{ dbt.type_string() }}) as stripe_item_id,
        cast(lines.{{ price_column }} as {{ dbt.type_string() }}) as price_id,

        ---------- strings
        upper(trim(lines.currency)) as currency,

        ---------- numerics
        cast(lines.quantity as double) as quantity,
        cast(lines.amount as double) as amount_minor,

        ---------- timestamps
        cast(lines.period_start as {{ dbt.type_timestamp() }}) as period_start_at,
        cast(lines.period_end as {{ dbt.type_timestamp() }}) as period_end_at,
        cast(invoices.created as {{ dbt.type_timestamp() }}) as invoice_created_at
    from lines
    inner join invoices
        on
            cast(lines.invoice_id as {{ dbt.type_string() }})
            = cast(invoices.id as {{ dbt.type_string() }})
    where
        lower(trim(lines.type)) = 'subscription'
        and not coalesce(cast(lines.proration as boolean), false)
        and coalesce(lower(trim(invoices.status)), '') not in ('draft', 'void')
),

counted as (
    select
        subscription_lines.*,
        subscriptions.customer_id,
        subscriptions.ended_at,
        subscriptions.current_period_end_at
    from subscription_lines
    inner join subscriptions
        on subscription_lines.subscription_id = subscriptions.subscription_id
    where
        coalesce(subscriptions.subscription_status, '')
        not in ('incomplete', 'incomplete_expired')
        {#- a trial line: not MRR -#}
        and (
            subscriptions.trial_end_at is null
            or subscription_lines.period_start_at >= subscriptions.trial_end_at
        )
),

ranked as (
    {#- one line per item and period start: a period billed twice counts once, as the
        latest invoice bills it #}
    select
        *,
        row_number() over (
            partition by stripe_item_id, period_start_at
            order by invoice_created_at desc, line_id desc
        ) as period_rank
    from counted
),

final as (
    select
        line_id,
        invoice_id,
        subscription_id,
        stripe_item_id,
        price_id,
        currency,
        quantity,
        amount_minor,
        period_start_at,
        period_end_at,
        invoice_created_at,
        customer_id,
        ended_at,
        current_period_end_at
    from ranked
    where period_rank = 1
)

select * from final
