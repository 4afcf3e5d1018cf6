{#-
    The first month an incremental run of the MRR chain must recompute (one row): the
    current inputs against the state the last complete run saved
    (macros/incremental_refresh.sql).
-#}
{%- set has_state = has_refresh_state('mrr') %}

with

customers as (
    select
        customer_id,
        segment,
        industry,
        region
    from {{ ref('stg_billing__customers') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

previous_customers as (
    {%- if has_state %}
        select * from {{ saved_refresh_state('mrr', 'customers') }}
    {%- else %}
        select * from customers
        where 1 = 0
    {%- endif %}
),

previous_build as (
    {#- No saved state (first build, or a run that never rebuilt the whole chain). -#}
    {%- if has_state %}
        select * from {{ saved_refresh_state('mrr', 'build') }}
    {%- else %}
        select
            cast(null as date) as last_month,
            cast(null as date) as next_month
    {%- endif %}
),

item_changes as (
    {#- Added, removed or edited items: from the month of their earliest date. -#}
    {{ first_changed_month('mrr', 'items', ref('int_countable_subscription_items')) }}
),

customer_changes as (
    {#- Existing customers whose attributes changed or who vanished (new ones are not). -#}
    select count(*) as changed_customers
    from (
        select * from previous_customers
        except
        select * from customers
    ) as changed
),

calendar as (
    select max(month) as last_month from calendar_months
),

final as (
    select
        case
            when
                previous_build.last_month is null
                or customer_changes.changed_customers > 0
                or calendar.last_month < previous_build.last_month
                then cast('1900-01-01' as date)
            when item_changes.first_changed_month < previous_build.next_month
                then item_changes.first_changed_month
            else previous_build.next_month
        end as recompute_from_month,
        case
            when previous_build.last_month is null
                then 'no saved state: every month'
            when customer_changes.changed_customers > 0
                then 'customer attributes changed: every month'
            when calendar.last_month < previous_build.last_month
                then 'as_of_date moved back: every month'
            when item_changes.first_changed_month < previous_build.next_month
                then 'subscription items changed'
            else 'new months only'
        end as reason
    from previous_build
    cross join item_changes
    cross join customer_changes
    cross join calendar
)

select * from final
