{#-
    The bridge identity holds on every customer-month of fct_mrr_movements:
    starting + new + reactivation + expansion - contraction - churned + fx_impact = ending.
    Returns the rows where it does not (amounts are decimals, so it holds exactly).
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
