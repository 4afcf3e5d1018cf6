{#-
    Runs on-run-start after validate_connector_tables when crm_source is salesforce.
    Salesforce keeps every conversion rate against the org's corporate currency
    (currency_type.is_corporate), and the adapter turns those rates into fx_rates as
    1 / conversion_rate: that is a rate to the reporting currency only when the two are
    the same currency. When they differ the run stops, saying so; an org without
    currency_type (single currency) is not checked.
-#}
{% macro validate_salesforce_currency() %}
    {%- if not execute or var('crm_source') != 'salesforce' -%}
        {{ return('') }}
    {%- endif -%}
    {%- set relation = adapter.get_relation(
        database=connector_database('salesforce'),
        schema=var('salesforce_schema'),
        identifier='currency_type') -%}
    {%- if relation is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set found = run_query(
        "select distinct upper(trim(iso_code)) as iso_code from " ~ relation
        ~ " where is_corporate") -%}
    {%- set corporate = found.columns[0].values() | list -%}
    {%- set reporting = var('reporting_currency') | upper -%}
    {%- if corporate and (corporate | length > 1 or corporate[0] != reporting) -%}
        {{ exceptions.raise_compiler_error(
            "Salesforce corporate currency is " ~ (corporate | join(' and ')) ~ " but reporting_currency is "
            ~ reporting ~ ": Salesforce's amounts and conversion rates are kept against the corporate "
            ~ "currency, so the reporting currency must be the same. Set reporting_currency to "
            ~ corporate[0] ~ " (--vars '{reporting_currency: " ~ corporate[0] ~ "}' or vars: in "
            ~ "dbt_project.yml) or change the corporate currency in Salesforce ("
            ~ relation ~ " where is_corporate). Nothing was run.") }}
    {%- endif -%}
{% endmacro %}
