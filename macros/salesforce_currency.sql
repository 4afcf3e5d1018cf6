{#-
    Salesforce currency tables, both optional (multi-currency orgs only).

    salesforce_conversion_rates(): a select of the rates the adapter reads (rate_table,
    iso_code, start_date, conversion_rate): dated_conversion_rate when the table exists
    (advanced currency management: dated rates), else currency_type (one rate per
    currency, start_date = var earliest_date), else no rows.

    salesforce_corporate_currency(): a select of one row, currency = the corporate
    currency (currency_type where is_corporate), null without currency_type.
-#}
{% macro salesforce_conversion_rates() -%}
    {%- set dated = source('salesforce', 'dated_conversion_rate') -%}
    {%- set currency_type = source('salesforce', 'currency_type') -%}
    {%- if connector_table_exists(dated) %}
    select
        'dated_conversion_rate' as rate_table,
        upper(trim(cast(iso_code as {{ dbt.type_string() }}))) as iso_code,
        cast(start_date as date) as start_date,
        cast(conversion_rate as double) as conversion_rate
    from {{ dated }}
    {%- elif connector_table_exists(currency_type) %}
    select
        'currency_type' as rate_table,
        upper(trim(cast(iso_code as {{ dbt.type_string() }}))) as iso_code,
        cast('{{ var("earliest_date") }}' as date) as start_date,
        cast(conversion_rate as double) as conversion_rate
    from {{ currency_type }}
    {%- else %}
    select
        cast(null as {{ dbt.type_string() }}) as rate_table,
        cast(null as {{ dbt.type_string() }}) as iso_code,
        cast(null as date) as start_date,
        cast(null as double) as conversion_rate
    from (select 1 as one) as no_rates
    where no_rates.one = 0
    {%- endif %}
{%- endmacro %}

{% macro salesforce_corporate_currency() -%}
    {%- set currency_type = source('salesforce', 'currency_type') -%}
    {%- if connector_table_exists(currency_type) %}
    select max(upper(trim(cast(iso_code as {{ dbt.type_string() }})))) as currency
    from {{ currency_type }}
    where is_corporate
    {%- else %}
    select cast(null as {{ dbt.type_string() }}) as currency
    {%- endif %}
{%- endmacro %}
