{#-
    Runs on-run-start after validate_configuration: when billing_source or crm_source
    selects a connector, each table its adapters need must exist in the connector's
    schema, else the run stops naming the missing tables, where they were looked for and
    the vars that select the source and its schema. Optional tables are checked by the
    adapter that reads them.
-#}
{% macro validate_connector_tables() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set selected = [] -%}
    {%- if var('billing_source') != 'contract' -%}
        {%- do selected.append(('billing_source', var('billing_source'))) -%}
    {%- endif -%}
    {%- if var('crm_source') != 'contract' -%}
        {%- do selected.append(('crm_source', var('crm_source'))) -%}
    {%- endif -%}
    {%- set problems = [] -%}
    {%- for selector, connector in selected -%}
        {%- set database = connector_database(connector) -%}
        {%- set schema = var(connector ~ '_schema') -%}
        {%- for alternatives in connector_required_tables(connector) -%}
            {%- set found = [] -%}
            {%- for table in alternatives -%}
                {%- if adapter.get_relation(database=database, schema=schema, identifier=table) is not none -%}
                    {%- do found.append(table) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if not found -%}
                {%- do problems.append("table " ~ (alternatives | join(' or ')) ~ " is missing from "
                    ~ ((database ~ '.') if database else '') ~ schema ~ " (" ~ selector ~ " is '"
                    ~ connector ~ "'; " ~ connector ~ "_schema and " ~ connector
                    ~ "_database say where its tables are)") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Connector tables missing, nothing was run:\n  - " ~ (problems | join("\n  - "))) }}
    {%- endif -%}
{% endmacro %}

{#- The database a connector's source lives in: its var, else the target's (none on Spark). -#}
{% macro connector_database(connector) -%}
    {%- if target.type == 'spark' -%}
        {{ return(none) }}
    {%- endif -%}
    {{ return(var(connector ~ '_database') or target.database) }}
{%- endmacro %}

{#-
    Tables each connector's adapters cannot do without; an inner list names alternatives
    (one of them is enough; which one is read follows the stripe_using_* vars).
-#}
{% macro connector_required_tables(connector) -%}
    {%- set stripe_subscriptions = ['subscription_history']
        if var('stripe_using_subscription_history') else ['subscription'] -%}
    {%- set stripe_prices = ['price'] if var('stripe_using_price') else ['plan'] -%}
    {{ return({
        'stripe': [['customer'], stripe_subscriptions, stripe_prices, ['product'],
                   ['invoice'], ['invoice_line_item']],
        'salesforce': [['account'], ['opportunity'], ['opportunity_history'], ['user']],
        'hubspot': [['company'], ['deal'], ['deal_stage'], ['deal_pipeline_stage'],
                    ['deal_company'], ['owner']],
    }[connector]) }}
{%- endmacro %}
