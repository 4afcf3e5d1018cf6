{#-
    Fiscal quarters follow the var fiscal_year_start_month (1 = calendar quarters).
    A fiscal year is named by the calendar year in which it ends (with a February start,
    February 2026 - January 2027 is fiscal 2027), and a quarter is named like 2027-Q1 to
    match expansion_targets.fiscal_quarter.
-#}
{% macro fiscal_year_start_month() -%}
    {%- set start = var('fiscal_year_start_month') | int -%}
    {%- if start < 1 or start > 12 -%}
        {{ exceptions.raise_compiler_error(
            "fiscal_year_start_month must be a month number 1-12, got "
            ~ var('fiscal_year_start_month')) }}
    {%- endif -%}
    {{ return(start) }}
{%- endmacro %}

{#- Months since the start of the fiscal year (0-11) of a date expression. -#}
{% macro fiscal_month_index(date_expression) -%}
    mod(
        cast(extract(month from {{ date_expression }}) as integer)
        + {{ 12 - fiscal_year_start_month() }},
        12
    )
{%- endmacro %}

{% macro fiscal_quarter(date_expression) -%}
    {%- set start = fiscal_year_start_month() -%}
    concat(
        cast(
            cast(extract(year from {{ date_expression }}) as integer)
            {%- if start != 1 %}
                + case
                    when cast(extract(month from {{ date_expression }}) as integer) >= {{ start }}
                        then 1
                    else 0
                end
            {%- endif %}
            as {{ dbt.type_string() }}
        ),
        '-Q',
        cast(
            cast(floor({{ fiscal_month_index(date_expression) }} / 3) as integer) + 1
            as {{ dbt.type_string() }}
        )
    )
{%- endmacro %}

{#- The first day of the fiscal quarter containing a date expression. -#}
{% macro fiscal_quarter_start(date_expression) -%}
    cast(
        {{ dbt.dateadd(
            'month',
            '-1 * mod(' ~ fiscal_month_index(date_expression) ~ ', 3)',
            dbt.date_trunc('month', date_expression)
        ) }} as date
    )
{%- endmacro %}
