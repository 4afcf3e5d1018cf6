{#-
    The first month an incremental run of the health chain must recompute (one row): the
    current inputs against the state the last complete run saved
    (macros/incremental_refresh.sql). A signal row dated D can change only evaluations on
    or after D, so the window starts at the month of the earliest changed row of any input.
-#}
{%- set has_state = has_refresh_state('health') %}

with

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
),

previous_build as (
    {#- No saved state (first build, or a run that never rebuilt the whole chain). -#}
    {%- if has_state %}
        select * from {{ saved_refresh_state('health', 'build') }}
    {%- else %}
        select
            cast(null as date) as last_month,
            cast(null as {{ dbt.type_string() }}) as health_settings
    {%- endif %}
),

evaluation_changes as (
    {#- New months, a moved as_of_date, MRR restated (new fx rates, changed items). -#}
    {{ first_changed_month('health', 'evaluations', ref('int_health_evaluations')) }}
),

usage_changes as (
    {{ first_changed_month('health', 'usage', ref('stg_product__product_usage')) }}
),

ticket_changes as (
    {{ first_changed_month('health', 'tickets', ref('stg_support__support_tickets')) }}
),

invoice_changes as (
    {{ first_changed_month('health', 'invoices', ref('stg_billing__invoices')) }}
),

nps_changes as (
    {{ first_changed_month('health', 'nps', ref('stg_crm__nps_responses')) }}
),

event_changes as (
    {{ first_changed_month('health', 'events', ref('stg_crm__account_events')) }}
),

renewal_item_changes as (
    {#- Term items give the next renewal date while they are active. -#}
    {{ first_changed_month('health', 'renewal_items', ref('stg_billing__subscription_items')) }}
),

first_changes as (
    select
        least(
            coalesce(evaluation_changes.first_changed_month, cast('9999-12-01' as date)),
            coalesce(usage_changes.first_changed_month, cast('9999-12-01' as date)),
            coalesce(ticket_changes.first_changed_month, cast('9999-12-01' as date)),
            coalesce(invoice_changes.first_changed_month, cast('9999-12-01' as date)),
            coalesce(nps_changes.first_changed_month, cast('9999-12-01' as date)),
            coalesce(event_changes.first_changed_month, cast('9999-12-01' as date)),
            coalesce(renewal_item_changes.first_changed_month, cast('9999-12-01' as date))
        ) as first_changed_month
    from evaluation_changes
    cross join usage_changes
    cross join ticket_changes
    cross join invoice_changes
    cross join nps_changes
    cross join event_changes
    cross join renewal_item_changes
),

calendar as (
    select max(month) as last_month from reporting_months
),

final as (
    select
        case
            when
                previous_build.last_month is null
                or previous_build.health_settings != '{{ health_settings() }}'
                or calendar.last_month < previous_build.last_month
                then cast('1900-01-01' as date)
            else first_changes.first_changed_month
        end as recompute_from_month,
        case
            when previous_build.last_month is null
                then 'no saved state: every month'
            when previous_build.health_settings != '{{ health_settings() }}'
                then 'health settings changed: every month'
            when calendar.last_month < previous_build.last_month
                then 'as_of_date moved back: every month'
            when first_changes.first_changed_month < cast('9999-12-01' as date)
                then 'inputs changed'
            else 'nothing changed'
        end as reason
    from previous_build
    cross join first_changes
    cross join calendar
)

select * from final
