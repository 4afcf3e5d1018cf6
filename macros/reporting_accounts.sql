{#-
    The customer an input row counts for under the var retention_grain: at customer (the
    default) the row's own customer_id; at parent the ultimate parent account of
    customers.parent_customer_id (stg_billing__customer_accounts), so every model and
    mart downstream of staging counts parents, and a move between two subsidiaries is
    neither churn nor new. A staging model of a customer-keyed table selects
    reporting_customer_id(its customer column) and adds reporting_accounts_join(the
    same column) to its from clause (nothing at customer grain: no join, no cost).
-#}
{% macro reporting_customer_id(customer_id) -%}
    {%- if var('retention_grain') == 'parent' -%}
        coalesce(reporting_accounts.reporting_customer_id, trim({{ customer_id }}))
    {%- else -%}
        trim({{ customer_id }})
    {%- endif -%}
{%- endmacro %}

{% macro reporting_accounts_join(customer_id) -%}
    {%- if var('retention_grain') == 'parent' -%}
        left join {{ ref('stg_billing__customer_accounts') }} as reporting_accounts
            on trim({{ customer_id }}) = reporting_accounts.customer_id
    {%- endif -%}
{%- endmacro %}
