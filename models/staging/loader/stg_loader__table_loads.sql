{#-
    The loader's log of raw table writes. A warehouse whose raw tables were never written
    by the loader (a connector synced by Fivetran) has no log: then no rows.
-#}
{%- set log = source('loader', '_load_log') %}

with

table_loads as (
    {%- if connector_table_exists(log) %}
        select
            table_name,
            loaded_at,
            loaded_rows,
            {{ connector_column(log, 'added_rows', dbt.type_bigint()) }} as added_rows,
            {{ connector_column(log, 'removed_rows', dbt.type_bigint()) }} as removed_rows,
            {{ connector_column(log, 'first_changed_date', 'date') }} as first_changed_date
        from {{ log }}
    {%- else %}
        select
            cast(null as {{ dbt.type_string() }}) as table_name,
            cast(null as {{ dbt.type_timestamp() }}) as loaded_at,
            cast(null as {{ dbt.type_bigint() }}) as loaded_rows,
            cast(null as {{ dbt.type_bigint() }}) as added_rows,
            cast(null as {{ dbt.type_bigint() }}) as removed_rows,
            cast(null as date) as first_changed_date
        where 1 = 0
    {%- endif %}
),

final as (
    select
        table_name,
        cast(loaded_at as {{ dbt.type_timestamp() }}) as loaded_at,
        loaded_rows,
        coalesce(added_rows, loaded_rows) as added_rows,
        {#- A log row older than the change columns: treat the table as wholly replaced. -#}
        case when added_rows is null then 1 else removed_rows end as removed_rows,
        first_changed_date
    from table_loads
)

select * from final
