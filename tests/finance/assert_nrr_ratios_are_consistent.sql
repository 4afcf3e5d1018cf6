{#-
    On every mart_nrr row: NRR = (ending ARR - fx impact) / starting ARR x 100; ending
    ARR = starting + expansion - contraction - churned + fx impact; GRR <= 100;
    GRR <= NRR; 0 <= logo retention <= 100. Returns the rows that break any of these.
-#}
select
    month,
    window_months,
    dimension,
    dimension_value,
    nrr_pct,
    grr_pct,
    logo_retention_pct
from {{ ref('mart_nrr') }}
where
    abs(
        nrr_pct
        - cast(ending_arr - fx_impact_arr as double) / cast(starting_arr as double) * 100
    ) > 1e-9
    or starting_arr + expansion_arr - contraction_arr - churned_arr + fx_impact_arr
    != ending_arr
    or grr_pct > 100 + 1e-9
    or grr_pct > nrr_pct + 1e-9
    or logo_retention_pct < 0
    or logo_retention_pct > 100
