{#-
    A SQL expression that stops the query with the text of `message_expression` (a
    string expression). Singular tests select it from their problem rows, so a failing
    build prints what is wrong rather than a count of rows.
-#}
{% macro fail_with(message_expression) -%}
    {{ return(adapter.dispatch('fail_with', 'expansion_metrics')(message_expression)) }}
{%- endmacro %}

{% macro default__fail_with(message_expression) -%}
    error({{ message_expression }})
{%- endmacro %}

{% macro spark__fail_with(message_expression) -%}
    raise_error({{ message_expression }})
{%- endmacro %}
