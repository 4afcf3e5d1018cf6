{#-
    The current state of each Stripe subscription: its subscription_history row with
    _fivetran_active = true (var stripe_using_subscription_history), else its row of the
    subscription table. Timestamps are kept as timestamps (trial_end is compared with
    line periods to the second); the contract's dates are taken from them downstream.
-#}
{%- set using_history = var('stripe_using_subscription_history') %}
{%- set table = 'subscription_history' if using_history else 'subscription' %}
{#- the current row of each subscription (every row of the subscription table) -#}
{%- set is_current = 'cast(_fivetran_active as boolean)' if using_history else 'true' %}
{%- set relation = source('stripe', table) %}

with

subscriptions as (
    select * from {{ relation }}
    where {{ is_current }}
),

renamed as (
    select
        ---------- ids
        cast(id as {{ dbt.type_string() }}) as subscription_id,
        cast(customer_id as {{ dbt.type_string() }}) as customer_id,

        ---------- strings
        lower(trim(status)) as subscription_status,

        ---------- timestamps
        cast(trial_end as {{ dbt.type_timestamp() }}) as trial_end_at,
        cast(ended_at as {{ dbt.type_timestamp() }}) as ended_at,
        cast(current_period_end as {{ dbt.type_timestamp() }}) as current_period_end_at,
        {#- when the customer asked to cancel (Stripe keeps the request's time also for a
            cancellation at period end); absent from some syncs -#}
        cast(
            {{ connector_column(relation, 'canceled_at', dbt.type_timestamp()) }}
            as {{ dbt.type_timestamp() }}
        ) as canceled_at
    from subscriptions
)

select * from renamed
