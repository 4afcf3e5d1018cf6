{#-
    The renewal calendar per customer: for each of the coming months of mart_renewals,
    each customer with a term ending in it, the ARR up for renewal and the customer's
    health today. Definitions in _finance__models.yml.
-#}
with

renewals as (
    select * from {{ ref('int_customer_product_renewals') }}
    where is_upcoming
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

customer_health as (
    select * from {{ ref('mart_customer_health') }}
),

customer_months as (
    select
        renewal_month,
        customer_id,
        cast(count(*) as bigint) as renewing_products,
        cast(12 * sum(available_mrr) as decimal(38, 6)) as available_to_renew_arr
    from renewals
    group by 1, 2
),

final as (
    select
        customer_months.renewal_month as month,
        customer_months.customer_id,
        customers.customer_name,
        customers.segment,
        customers.industry,
        customers.region,
        customer_months.renewing_products,
        customer_months.available_to_renew_arr,
        customer_health.health_score,
        coalesce(customer_health.health_status, 'unknown') as health_status
    from customer_months
    inner join customers
        on customer_months.customer_id = customers.customer_id
    left join customer_health
        on customer_months.customer_id = customer_health.customer_id
)

select * from final
