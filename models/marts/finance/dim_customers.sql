{#-
    The customer dimension: one row per customer with its current attributes, place in
    the account hierarchy, cohorts, and current ARR and health, so BI tools can slice the
    facts (customer_id) themselves. Definitions in _finance__models.yml.
-#}
with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

customer_accounts as (
    select * from {{ ref('stg_billing__customer_accounts') }}
),

cohorts as (
    select * from {{ ref('int_customer_cohorts') }}
),

customer_health as (
    select * from {{ ref('mart_customer_health') }}
),

customer_cohorts as (
    select
        customer_id,
        min(cohort_month) as first_cohort_month,
        max(cohort_month) as cohort_month
    from cohorts
    group by 1
),

final as (
    select
        customers.customer_id,
        customers.customer_name,
        customers.segment,
        customers.industry,
        customers.region,
        customers.created_date,
        customer_accounts.parent_customer_id,
        customer_accounts.ultimate_parent_id,
        customer_accounts.reporting_customer_id,
        customer_cohorts.first_cohort_month,
        customer_cohorts.cohort_month,
        customer_health.customer_id is not null as is_active,
        coalesce(customer_health.arr, 0) as arr,
        customer_health.health_score,
        customer_health.health_status
    from customers
    inner join customer_accounts
        on customers.customer_id = customer_accounts.customer_id
    left join customer_cohorts
        on customers.customer_id = customer_cohorts.customer_id
    left join customer_health
        on customers.customer_id = customer_health.customer_id
)

select * from final
