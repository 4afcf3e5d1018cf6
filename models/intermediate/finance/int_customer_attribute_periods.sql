{#-
    Each customer's segment, industry and region over time, as periods that cover all
    time without overlapping: from customer_attribute_history when the customer has rows
    there, else the customers table's attributes throughout. Definitions in
    _finance__models.yml.
-#}
with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

attribute_history as (
    select * from {{ ref('stg_billing__customer_attribute_history') }}
),

history_periods as (
    select
        attribute_history.customer_id,
        attribute_history.valid_from,
        lead(attribute_history.valid_from) over (
            partition by attribute_history.customer_id
            order by attribute_history.valid_from
        ) as next_valid_from,
        row_number() over (
            partition by attribute_history.customer_id
            order by attribute_history.valid_from
        ) as period_number,
        attribute_history.segment,
        attribute_history.industry,
        attribute_history.region
    from attribute_history
    inner join customers
        on attribute_history.customer_id = customers.customer_id
),

from_history as (
    {#- the first row reaches back to the start of time: the earliest known attributes -#}
    select
        customer_id,
        case
            when period_number = 1 then cast('1900-01-01' as date) else valid_from
        end as valid_from,
        coalesce(next_valid_from, cast('9999-12-31' as date)) as valid_to,
        segment,
        industry,
        region
    from history_periods
),

from_customers as (
    select
        customers.customer_id,
        cast('1900-01-01' as date) as valid_from,
        cast('9999-12-31' as date) as valid_to,
        customers.segment,
        customers.industry,
        customers.region
    from customers
    left join history_periods
        on
            customers.customer_id = history_periods.customer_id
            and history_periods.period_number = 1
    where history_periods.customer_id is null
),

final as (
    select * from from_history
    union all
    select * from from_customers
)

select * from final
