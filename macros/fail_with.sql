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

{#-
    The ending of a singular test whose CTE `problems_cte` has one row per problem in a
    column `problem`: every problem in one message (the first failing row stops the
    query), and the error raised in the filter, not the select list, since dbt counts
    the rows and would otherwise skip it. Follows the test's CTEs (it starts with a
    comma-separated CTE).
-#}
{% macro stop_on_problems(problems_cte) -%}
problems as (
    select {{ dbt.listagg('problem', "'; '") }} as problem
    from {{ problems_cte }}
    having count(*) > 0
)

select problem
from problems
where {{ fail_with('problem') }} is null
{%- endmacro %}
