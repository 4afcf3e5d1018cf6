{#-
    Renewals per month, for the total and per segment, industry and region: the ARR of
    term items up for renewal, what renewed, churned, contracted or expanded at renewal,
    the gross and net renewal rates, and for the coming months the ARR up for renewal by
    the customer's health status today. Definitions in _finance__models.yml.
-#}
with

renewals as (
    select * from {{ ref('int_customer_product_renewals') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

customer_health as (
    select * from {{ ref('mart_customer_health') }}
),

customer_renewals as (
    select
        renewals.*,
        customers.segment,
        customers.industry,
        customers.region,
        coalesce(customer_health.health_status, 'unknown') as health_status
    from renewals
    inner join customers
        on renewals.customer_id = customers.customer_id
    left join customer_health
        on renewals.customer_id = customer_health.customer_id
),

renewal_rows as (
    {{ with_dimension_rows('customer_renewals') }}
),

aggregated as (
    select
        renewal_month as month,
        dimension,
        dimension_value,
        is_upcoming,
        cast(count(distinct customer_id) as bigint) as renewing_customers,
        {%- for column in ['available', 'renewed', 'churned', 'contracted', 'expanded'] %}
            cast(12 * sum({{ column }}_mrr) as decimal(38, 6))
                as {{ 'available_to_renew' if column == 'available' else column }}_arr,
        {%- endfor %}
        {#- null for months already reported (no upcoming renewal), 0 when none -#}
    {%- for status in ['green', 'yellow', 'red', 'unknown'] %}
        cast(12 * sum(
            case
                when not is_upcoming then null
                when health_status = '{{ status }}' then available_mrr
                else 0
            end
            ) as decimal(38, 6)) as upcoming_{{ status }}_arr
        {{- ',' if not loop.last }}
    {%- endfor %}
    from renewal_rows
    group by 1, 2, 3, 4
),

final as (
    select
        *,
        100 * cast(available_to_renew_arr - churned_arr - contracted_arr as double)
        / nullif(cast(available_to_renew_arr as double), 0) as gross_renewal_rate_pct,
        100 * cast(renewed_arr as double)
        / nullif(cast(available_to_renew_arr as double), 0) as net_renewal_rate_pct
    from aggregated
)

select * from final
