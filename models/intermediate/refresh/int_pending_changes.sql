{#-
    What the loads since the last completed refresh changed (one row), for the refresh
    windows: the previous refresh's record beside the earliest changed dates of the
    inputs of each chain. Definitions in _refresh__models.yml.
-#}
{%- set record = api.Relation.create(
    database=this.database, schema=this.schema, identifier='int_completed_refreshes'
) %}
{%- set needed = ['last_month', 'next_month', 'as_of_date', 'loaded_through', 'refresh_vars'] %}
{%- set has_record = execute and adapter.get_relation(
    database=record.database, schema=record.schema, identifier=record.identifier
) is not none %}
{%- if has_record %}
    {#- A record written by an older version lacks columns: as if there were none. -#}
    {%- set found = adapter.get_columns_in_relation(record) | map(attribute='name')
        | map('lower') | list %}
    {%- set has_record = needed | reject('in', found) | list | length == 0 %}
{%- endif %}

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

fx_rates as (
    select * from {{ ref('stg_billing__fx_rates') }}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
),

previous_refresh as (
    {#-
        The latest row of int_completed_refreshes, all null before the first. Read by
        relation, not ref(): the record is written after the chains it records, which
        are built from the windows that read it.
    -#}
    select
        max(refreshed.last_month) as last_month,
        max(refreshed.next_month) as next_month,
        max(refreshed.as_of_date) as as_of_date,
        max(refreshed.loaded_through) as loaded_through,
        max(refreshed.refresh_vars) as refresh_vars
    from (
        {%- if has_record %}
            select {{ needed | join(', ') }}
            from {{ record }}
            order by refreshed_at desc
            limit 1
        {%- else %}
            select
                cast(null as date) as last_month,
                cast(null as date) as next_month,
                cast(null as date) as as_of_date,
                cast(null as {{ dbt.type_timestamp() }}) as loaded_through,
                cast(null as {{ dbt.type_string() }}) as refresh_vars
        {%- endif %}
    ) as refreshed
),

pending_loads as (
    select table_loads.*
    from table_loads
    cross join previous_refresh
    where
        previous_refresh.loaded_through is null
        or table_loads.loaded_at > previous_refresh.loaded_through
),

pending_tables as (
    select
        min(case
            when table_name = 'subscription_items' and added_rows + removed_rows > 0
                then coalesce(first_changed_date, cast('1900-01-01' as date))
        end) as items_changed_from,
        min(case
            when table_name = 'customers' and added_rows > 0 then first_changed_date
        end) as customers_added_from,
        {#- an edited customer, or any change to the attribute history -#}
        coalesce(sum(case
            when table_name = 'customers' then removed_rows
            when table_name = 'customer_attribute_history' then added_rows + removed_rows
        end), 0) as customers_changed,
        min(case
            when
                table_name in (
                    'product_usage', 'support_tickets', 'invoices', 'nps_responses',
                    'account_events'
                )
                and added_rows + removed_rows > 0
                then coalesce(first_changed_date, cast('1900-01-01' as date))
        end) as health_inputs_changed_from,
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
    {#- Items whose constant-currency MRR a rate change moves, and from when. -#}
    select
        min(subscription_items.valid_from) as first_valid_from,
        min(case
            when
                subscription_items.valid_to is null
                or subscription_items.valid_to > calendar_months.month_end_date
                then calendar_months.month
        end) as first_counted_month
    from subscription_items
    inner join customers
        on subscription_items.customer_id = customers.customer_id
    left join calendar_months
        on
            cast({{ dbt.date_trunc('month', 'subscription_items.valid_from') }} as date)
            = calendar_months.month
    where subscription_items.currency != '{{ var("reporting_currency") | upper }}'
),

calendar as (
    select max(month) as last_month from calendar_months
),

final as (
    select
        previous_refresh.last_month as previous_last_month,
        previous_refresh.next_month as previous_next_month,
        previous_refresh.as_of_date as previous_as_of_date,
        previous_refresh.refresh_vars as previous_refresh_vars,
        calendar.last_month,
        cast({{ dbt.date_trunc('month', 'pending_tables.items_changed_from') }} as date)
            as items_changed_from,
        cast({{ dbt.date_trunc('month', 'pending_tables.customers_added_from') }} as date)
            as customers_added_from,
        pending_tables.customers_changed,
        cast({{ dbt.date_trunc('month', 'pending_tables.health_inputs_changed_from') }} as date)
            as health_inputs_changed_from,
        pending_tables.fx_rate_changes + rate_date_moves.moved_rates > 0 as has_fx_changes,
        cast({{ dbt.date_trunc('month', 'fx_items.first_valid_from') }} as date)
            as fx_items_first_month,
        fx_items.first_counted_month as fx_items_first_counted_month
    from previous_refresh
    cross join pending_tables
    cross join rate_date_moves
    cross join fx_items
    cross join calendar
)

select * from final
