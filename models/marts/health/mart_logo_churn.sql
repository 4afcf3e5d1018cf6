{#-
    Annual (trailing-twelve-month) logo churn per segment and 'all' at each reporting
    month, against the targets in the var logo_churn_targets_pct, with dollar churn
    beside it.
-#}
{%- set targets = var('logo_churn_targets_pct') %}
with

nrr as (
    select * from {{ ref('mart_nrr') }}
    where
        window_months = 12
        and dimension in ('all', 'segment')
),

final as (
    select
        month,
        dimension_value as segment,
        starting_customers,
        starting_customers - retained_customers as churned_customers,
        100 - logo_retention_pct as logo_churn_pct,
        cast(case dimension_value
            {%- for segment, target in targets.items() %}
                when '{{ segment }}' then {{ target }}
            {%- endfor %}
            else {{ var('logo_churn_target_default_pct') }}
        end as double) as logo_churn_target_pct,
        starting_arr,
        churned_arr,
        cast(churned_arr as double) / cast(starting_arr as double) * 100 as dollar_churn_pct,
        cast(churned_arr + contraction_arr as double) / cast(starting_arr as double) * 100
            as gross_dollar_churn_pct
    from nrr
)

select
    *,
    logo_churn_pct < logo_churn_target_pct as is_on_target
from final
