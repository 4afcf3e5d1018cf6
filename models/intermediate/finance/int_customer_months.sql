{#-
    Customer MRR and discount MRR at the end of each month (sums over products), where
    MRR is above 0; under fx_rate_policy historical also the MRR at the month before's
    rates.
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

final as (
    select
        month,
        next_month,
        customer_id,
        sum(product_mrr) as mrr,
        {%- if var('fx_rate_policy') == 'historical' %}
            sum(product_mrr_at_prior_rates) as mrr_at_prior_rates,
        {%- endif %}
        sum(discount_mrr) as discount_mrr
    from customer_product_months
    group by 1, 2, 3
    having sum(product_mrr) > 0
)

select * from final
