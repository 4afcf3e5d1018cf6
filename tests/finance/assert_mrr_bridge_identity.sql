{#-
    The bridge identity holds on every customer-month of fct_mrr_movements:
    starting + new + reactivation + expansion - contraction - churned + fx_impact = ending,
    and churned = voluntary + delinquent churned. Returns the rows where either does not
    (amounts are decimals, so both hold exactly).
-#}
select
    month,
    customer_id,
    starting_mrr,
    ending_mrr
from {{ ref('fct_mrr_movements') }}
where
    starting_mrr + new_mrr + reactivation_mrr + expansion_mrr
    - contraction_mrr - churned_mrr + fx_impact_mrr != ending_mrr
    or voluntary_churned_mrr + delinquent_churned_mrr != churned_mrr
