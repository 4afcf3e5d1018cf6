{#-
    The dimensions every retention mart is cut by, and the movement types of the bridge.
    Kept in one place so the marts, their tests and the docs agree.
-#}
{% macro revenue_dimensions() -%}
    {{ return(['segment', 'industry', 'region']) }}
{%- endmacro %}

{% macro expansion_types() -%}
    {{ return(['upsell', 'seat', 'cross_sell', 'usage', 'price']) }}
{%- endmacro %}

{% macro contraction_types() -%}
    {{ return(['downgrade', 'seat_reduction', 'product_removal', 'usage_decline', 'price_decrease']) }}
{%- endmacro %}

{#-
    Repeats every row of `relation` once for the total (dimension 'all', value 'all') and
    once per dimension (dimension 'segment', value = the row's segment, ...; by default
    every revenue dimension), so one group by (dimension, dimension_value, ...) gives the
    total and every cut. Use as the body of a CTE.
-#}
{% macro with_dimension_rows(relation, dimensions=none) -%}
    select
        {{ relation }}.*,
        'all' as dimension,
        'all' as dimension_value
    from {{ relation }}
    {%- for dimension in (dimensions or revenue_dimensions()) %}

    union all

    select
        {{ relation }}.*,
        '{{ dimension }}' as dimension,
        {{ relation }}.{{ dimension }} as dimension_value
    from {{ relation }}
    {%- endfor %}
{%- endmacro %}
