{{ config(materialized='table') }}
{#-
    The account hierarchy of customers.parent_customer_id walked to its top, one row per
    customer: the loader refuses a parent that is not a customer, a cycle and a chain
    deeper than the 10 levels joined here. Definitions in _billing__models.yml.
-#}
{%- set levels = range(1, 11) | list %}
with

source as (
    select * from {{ raw_relation('billing', 'customers') }}
),

customers as (
    select
        trim(customer_id) as customer_id,
        nullif(trim(parent_customer_id), '') as parent_customer_id
    from source
),

walked as (
    select
        level_0.customer_id,
        level_0.parent_customer_id,
        coalesce(
            {%- for level in levels | reverse %}
                level_{{ level }}.customer_id,
            {%- endfor %}
            level_0.customer_id
        ) as ultimate_parent_id
    from customers as level_0
    {% for level in levels -%}
        left join customers as level_{{ level }}
            on level_{{ level - 1 }}.parent_customer_id = level_{{ level }}.customer_id
    {% endfor -%}
),

final as (
    select
        customer_id,
        parent_customer_id,
        ultimate_parent_id,
        {%- if var('retention_grain') == 'parent' %}
            ultimate_parent_id as reporting_customer_id
        {%- else %}
            customer_id as reporting_customer_id
        {%- endif %}
    from walked
)

select * from final
