{#-
    The first month an incremental run of the health chain recomputes (one row), from what
    the loads since the last completed refresh changed. A row dated D can change only
    evaluations on or after D. Definitions in _refresh__models.yml.
-#}

with

table_loads as (
    select * from {{ ref('stg_loader__table_loads') }}
),

subscription_items as (
    select * from {{ ref('stg_billing__subscription_items') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

fx_rates as (
    select * from {{ ref('stg_billing__fx_rates') }}
),

previous_refresh as (
    {{ previous_refresh() }}
),

pending_loads as (
    select table_loads.*
    from table_loads
    cross join previous_refresh
    where
        previous_refresh.loaded_through is null
        or table_loads.loaded_at > previous_refresh.loaded_through
),

pending_changes as (
    select
        min(case
            when
                table_name in (
                    'subscription_items', 'product_usage', 'support_tickets', 'invoices',
                    'nps_responses', 'account_events'
                )
                or (table_name = 'customers' and added_rows > 0)
                then first_changed_date
        end) as changed_from,

        coalesce(sum(case
            when
                table_name in (
                    'subscription_items', 'product_usage', 'support_tickets', 'invoices',
                    'nps_responses', 'account_events'
                )
                and added_rows + removed_rows > 0
                and first_changed_date is null
                then 1
        end), 0) as undated_changes,
        coalesce(sum(case
            when
                table_name = 'fx_rates'
                and added_rows + removed_rows > 0
                and (first_changed_date is null or first_changed_date <= {{ fx_rate_date() }})
                then 1
        end), 0) as fx_rate_changes
    from pending_loads
),

rate_date_moves as (
    {#- Under fx_rate_policy latest a moved as_of_date takes the rates dated in between. -#}
    select count(*) as moved_rates
    from fx_rates
    cross join previous_refresh
    where
        '{{ var("fx_rate_policy") }}' = 'latest'
        and fx_rates.rate_month > previous_refresh.as_of_date
        and fx_rates.rate_month <= {{ as_of_date() }}
),

fx_items as (
    {#- A rate change moves customer MRR from the first month end such an item is active. -#}
    select
        min(case
            when
                subscription_items.valid_to is null
                or subscription_items.valid_to > calendar_months.month_end_date
                then calendar_months.month
        end) as first_counted_month
    from subscription_items
    inner join customers
        on subscription_items.customer_id = customers.customer_id
    inner join calendar_months
        on
            cast({{ dbt.date_trunc('month', 'subscription_items.valid_from') }} as date)
            = calendar_months.month
    where subscription_items.currency != '{{ var("reporting_currency") | upper }}'
),

calendar as (
    select max(month) as last_month from calendar_months
),

changes as (
    select
        pending_changes.undated_changes,
        least(
            coalesce(
                cast({{ dbt.date_trunc('month', 'pending_changes.changed_from') }} as date),
                cast('9999-12-01' as date)
            ),
            case
                when pending_changes.fx_rate_changes + rate_date_moves.moved_rates > 0
                    then coalesce(fx_items.first_counted_month, cast('9999-12-01' as date))
                else cast('9999-12-01' as date)
            end
        ) as changed_from
    from pending_changes
    cross join rate_date_moves
    cross join fx_items
),

effective_changes as (
    {#-
        A row dated after the last month's end (and on or before as_of_date) reaches the
        last month's evaluation on as_of_date.
    -#}
    select
        changes.undated_changes,
        case
            when changes.changed_from < cast('9999-12-01' as date)
                then least(changes.changed_from, calendar.last_month)
            else changes.changed_from
        end as changed_from
    from changes
    cross join calendar
),

final as (
    select
        case
            when
                previous_refresh.last_month is null
                or {{ 'true' if flags.FULL_REFRESH else 'false' }}
                or '{{ target.type }}' != 'duckdb'
                or previous_refresh.refresh_vars != '{{ refresh_vars() }}'
                or '{{ var("billing_source") }}' != 'contract'
                or '{{ var("crm_source") }}' != 'contract'
                or calendar.last_month < previous_refresh.last_month
                or effective_changes.undated_changes > 0
                then cast('1900-01-01' as date)
            {#- The last month's evaluations hold one on as_of_date (is_current). -#}
            when previous_refresh.as_of_date != {{ as_of_date() }}
                then least(effective_changes.changed_from, previous_refresh.last_month)
            else effective_changes.changed_from
        end as recompute_from_month,
        case
            when previous_refresh.last_month is null
                then 'no completed refresh: every month'
            when {{ 'true' if flags.FULL_REFRESH else 'false' }}
                then 'full refresh: every month'
            when '{{ target.type }}' != 'duckdb'
                then 'not on DuckDB: every month'
            when previous_refresh.refresh_vars != '{{ refresh_vars() }}'
                then 'settings changed: every month'
            when
                '{{ var("billing_source") }}' != 'contract'
                or '{{ var("crm_source") }}' != 'contract'
                then 'data from a connector: every month'
            when calendar.last_month < previous_refresh.last_month
                then 'as_of_date moved back: every month'
            when effective_changes.undated_changes > 0
                then 'undated rows changed: every month'
            when effective_changes.changed_from < cast('9999-12-01' as date)
                then 'inputs changed'
            when previous_refresh.as_of_date != {{ as_of_date() }}
                then 'as_of_date moved forward: from the last month built'
            else 'nothing changed'
        end as reason
    from previous_refresh
    cross join effective_changes
    cross join calendar
)

select * from final
