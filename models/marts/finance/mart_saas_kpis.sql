{#-
    The SaaS KPI set of a board pack per reporting month, for the total and per segment,
    industry and region: customer counts, ARR and ARPA, customer and MRR churn rates,
    quick ratio and LTV from the MRR bridge, beside the free-trial counts. Each ratio
    carries the additive columns it is computed from. Definitions in
    _finance__models.yml.
-#}
{%- set customer_counts = [
    ('customers_at_start', 'starting_mrr > 0'),
    ('customers', 'ending_mrr > 0'),
    ('new_customers', "movement_type = 'new'"),
    ('reactivated_customers', "movement_type = 'reactivation'"),
    ('churned_customers', "movement_type = 'churn'"),
] %}
{%- set mrr_columns = [
    'starting_mrr', 'new_mrr', 'reactivation_mrr', 'expansion_mrr', 'contraction_mrr',
    'churned_mrr', 'ending_mrr'
] %}
with

mrr_movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

trial_conversion as (
    select * from {{ ref('mart_trial_conversion') }}
),

movement_rows as (
    {{ with_dimension_rows('mrr_movements') }}
),

monthly as (
    select
        month,
        dimension,
        dimension_value,
        {%- for name, condition in customer_counts %}
            cast(sum(case when {{ condition }} then 1 else 0 end) as bigint) as {{ name }},
        {%- endfor %}
    {%- for column in mrr_columns %}
        sum({{ column }}) as {{ column }}
        {{- ',' if not loop.last }}
    {%- endfor %}
    from movement_rows
    group by 1, 2, 3
),

churn_rates as (
    select
        month,
        dimension,
        dimension_value,
        100 * cast(churned_customers as double)
        / nullif(customers_at_start, 0) as customer_churn_rate_pct
    from monthly
),

trailing_churn_rates as (
    {#-
        The average of the monthly customer churn rates of months M-11 to M (a month
        without customers at its start has no rate and is left out of the average).
    -#}
    select
        churn_rates.month,
        churn_rates.dimension,
        churn_rates.dimension_value,
        churn_rates.customer_churn_rate_pct,
        avg(earlier_rates.customer_churn_rate_pct) as ttm_avg_customer_churn_rate_pct
    from churn_rates
    inner join churn_rates as earlier_rates
        on
            churn_rates.dimension = earlier_rates.dimension
            and churn_rates.dimension_value = earlier_rates.dimension_value
            and churn_rates.month >= earlier_rates.month
            and cast(
                {{ dbt.dateadd('month', -12, 'churn_rates.month') }} as date
            ) < earlier_rates.month
    group by 1, 2, 3, 4
),

kpis as (
    select
        monthly.*,
        trailing_churn_rates.customer_churn_rate_pct,
        trailing_churn_rates.ttm_avg_customer_churn_rate_pct
    from monthly
    inner join trailing_churn_rates
        on
            monthly.month = trailing_churn_rates.month
            and monthly.dimension = trailing_churn_rates.dimension
            and monthly.dimension_value = trailing_churn_rates.dimension_value
),

final as (
    {#- trial counts of a month without MRR rows come with zero customers and MRR -#}
    {%- set gross_margin = var('gross_margin_pct') | float %}
    select
        coalesce(kpis.month, trial_conversion.month) as month,
        coalesce(kpis.dimension, trial_conversion.dimension) as dimension,
        coalesce(kpis.dimension_value, trial_conversion.dimension_value) as dimension_value,
        {%- for column, _ in customer_counts %}
            coalesce(kpis.{{ column }}, 0) as {{ column }},
        {%- endfor %}
        {%- for column in mrr_columns %}
            cast(coalesce(kpis.{{ column }}, 0) as decimal(38, 6)) as {{ column }},
        {%- endfor %}
        cast(12 * coalesce(kpis.ending_mrr, 0) as decimal(38, 6)) as arr,
        {#- each ratio multiplies before it divides: exact on whole amounts -#}
        
        12 * cast(kpis.ending_mrr as double) / nullif(kpis.customers, 0) as arpa,
        kpis.customer_churn_rate_pct,
        100 * cast(kpis.contraction_mrr + kpis.churned_mrr as double)
        / nullif(cast(kpis.starting_mrr as double), 0) as gross_mrr_churn_rate_pct,
        100 * cast(
            kpis.contraction_mrr + kpis.churned_mrr - kpis.expansion_mrr
            - kpis.reactivation_mrr as double
        )
        / nullif(cast(kpis.starting_mrr as double), 0) as net_mrr_churn_rate_pct,
        cast(kpis.new_mrr + kpis.reactivation_mrr + kpis.expansion_mrr as double)
        / nullif(cast(kpis.contraction_mrr + kpis.churned_mrr as double), 0) as quick_ratio,
        kpis.ttm_avg_customer_churn_rate_pct,
        {#-
            arpa x margin / 100 / (12 x rate / 100) = ending MRR x margin / (customers x
            rate)
        -#}
        
        cast(kpis.ending_mrr as double) * {{ gross_margin }}
        / nullif(kpis.customers * kpis.ttm_avg_customer_churn_rate_pct, 0) as ltv,
        coalesce(trial_conversion.trial_starts, 0) as trial_starts,
        coalesce(trial_conversion.trials_decided, 0) as trials_decided,
        coalesce(trial_conversion.trial_conversions, 0) as trial_conversions,
        trial_conversion.trial_conversion_rate_pct
    from kpis
    full outer join trial_conversion
        on
            kpis.month = trial_conversion.month
            and kpis.dimension = trial_conversion.dimension
            and kpis.dimension_value = trial_conversion.dimension_value
)

select * from final
