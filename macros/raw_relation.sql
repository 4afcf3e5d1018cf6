{#-
    The relation a staging model reads for one table of the raw contract: the loaded
    table in schema raw (source billing or crm) or, when a connector is selected, the
    connector adapter's model that gives the same columns with the same meaning
    (models/sources/<connector>/base_<connector>__<table>.sql).

    billing_source = stripe:      customers, subscription_items, invoices
    crm_source = salesforce:      opportunities, opportunity_stage_history, fx_rates
    crm_source = hubspot:         opportunities, opportunity_stage_history
    Every other table (expansion_targets, account_events, nps_responses, product_usage,
    support_tickets, and fx_rates without Salesforce) always comes from schema raw.
-#}
{% macro raw_relation(source_name, table_name) -%}
    {%- set connector = connector_for(table_name) -%}
    {%- if connector == 'contract' -%}
        {{ return(source(source_name, table_name)) }}
    {%- else -%}
        {{ return(ref('base_' ~ connector ~ '__' ~ table_name)) }}
    {%- endif -%}
{%- endmacro %}

{#- Which connector provides a raw-contract table under the current vars ('contract' = schema raw). -#}
{% macro connector_for(table_name) -%}
    {%- set billing = var('billing_source') -%}
    {%- set crm = var('crm_source') -%}
    {%- if billing == 'stripe' and table_name in ['customers', 'subscription_items', 'invoices'] -%}
        {{ return('stripe') }}
    {%- elif crm in ['salesforce', 'hubspot']
        and table_name in ['opportunities', 'opportunity_stage_history'] -%}
        {{ return(crm) }}
    {%- elif crm == 'salesforce' and table_name == 'fx_rates' -%}
        {{ return('salesforce') }}
    {%- else -%}
        {{ return('contract') }}
    {%- endif -%}
{%- endmacro %}

{#- The connectors billing_source and crm_source select (none for the raw contract). -#}
{% macro selected_connectors() -%}
    {{ return([var('billing_source'), var('crm_source')] | reject('equalto', 'contract') | list) }}
{%- endmacro %}
