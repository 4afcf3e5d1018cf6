{#-
    The first month an incremental run of the MRR chain recomputes (one row), from what
    the loads since the last completed refresh changed. Definitions in
    _refresh__models.yml.
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
            when table_name = 'subscription_items' and added_rows + removed_rows > 0
                then coalesce(first_changed_date, cast('1900-01-01' as date))
        end) as items_changed_from,
        min(case
            when table_name = 'customers' and added_rows > 0 then first_changed_date
        end) as customers_added_from,
        coalesce(sum(case
            when table_name = 'customers' then removed_rows
        end), 0) as customers_changed,
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
    {#- Items whose constant-currency MRR a rate change can move. -#}
    select min(subscription_items.valid_from) as first_valid_from
    from subscription_items
    inner join customers
        on subscription_items.customer_id = customers.customer_id
    where subscription_items.currency != '{{ var("reporting_currency") | upper }}'
),

calendar as (
    select max(month) as last_month from calendar_months
),

changes as (
    select
        pending_changes.customers_changed,
        cast({{ dbt.date_trunc('month', 'pending_changes.items_changed_from') }} as date)
            as items_from,
        cast({{ dbt.date_trunc('month', 'pending_changes.customers_added_from') }} as date)
            as customers_added_from,
        case
            when pending_changes.fx_rate_changes + rate_date_moves.moved_rates > 0
                then cast({{ dbt.date_trunc('month', 'fx_items.first_valid_from') }} as date)
        end as fx_from
    from pending_changes
    cross join rate_date_moves
    cross join fx_items
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
                or calendar.last_month < previous_refresh.last_month
                or changes.customers_changed > 0
                then cast('1900-01-01' as date)
            else least(
                coalesce(changes.items_from, previous_refresh.next_month),
                coalesce(changes.customers_added_from, previous_refresh.next_month),
                coalesce(changes.fx_from, previous_refresh.next_month),
                previous_refresh.next_month
            )
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
            when '{{ var("billing_source") }}' != 'contract'
                then 'billing data from a connector: every month'
            when calendar.last_month < previous_refresh.last_month
                then 'as_of_date moved back: every month'
            when changes.customers_changed > 0
                then 'customer attributes changed: every month'
            when changes.items_from < previous_refresh.next_month
                then 'subscription items changed'
            when changes.fx_from < previous_refresh.next_month
                then 'fx rates changed'
            when changes.customers_added_from < previous_refresh.next_month
                then 'customers added'
            else 'new months only'
        end as reason
    from previous_refresh
    cross join changes
    cross join calendar
)

select * from final
