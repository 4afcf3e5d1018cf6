{#-
    Customer MRR and discount MRR at the end of each month (sums over products), where
    MRR is above 0; under fx_rate_policy historical also the MRR at the month before's
    rates. A month in which the customer is delinquent (past_due_churn_days,
    int_customer_delinquent_months) counts as 0.
    Incremental: a refresh recomputes only the months from int_mrr_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_mrr_refresh_window') ~ ')' %}

with

customer_product_months as (
    select * from {{ ref('int_customer_product_months') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

delinquent_months as (
    select * from {{ ref('int_customer_delinquent_months') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

final as (
    select
        customer_product_months.month,
        customer_product_months.next_month,
        customer_product_months.customer_id,
        sum(customer_product_months.product_mrr) as mrr,
        {%- if var('fx_rate_policy') == 'historical' %}
            sum(customer_product_months.product_mrr_at_prior_rates) as mrr_at_prior_rates,
        {%- endif %}
        sum(customer_product_months.discount_mrr) as discount_mrr
    from customer_product_months
    left join delinquent_months
        on
            customer_product_months.customer_id = delinquent_months.customer_id
            and customer_product_months.month = delinquent_months.month
    where delinquent_months.customer_id is null
    group by 1, 2, 3
    having sum(customer_product_months.product_mrr) > 0
)

select * from final
