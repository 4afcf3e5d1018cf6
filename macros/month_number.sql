{#-
    A month's position in a count of months (year x 12 + month): two dates' month numbers
    differ by the whole months between them, and one modulo n gives the month's phase in
    an n-month cycle. Works on every engine the project runs on.
-#}
{% macro month_number(date_expression) -%}
    (extract(year from {{ date_expression }}) * 12 + extract(month from {{ date_expression }}))
{%- endmacro %}
