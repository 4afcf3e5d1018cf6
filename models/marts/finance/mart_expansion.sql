{#-
    Expansion per reporting month, for the total and per segment, industry and region:
    the bridge's amounts summed, expansion rates, event counts and average amounts, of
    the month and of the trailing twelve months (months M-11 to M).
-#}
{%- set trailing_twelve = (
    "over (partition by dimension, dimension_value order by " ~ month_number('month')
    ~ " range between 11 preceding and current row)"
) %}
with

mrr_movements as (
    select * from {{ ref('fct_mrr_movements') }}
),

movement_rows as (
    {{ with_dimension_rows('mrr_movements') }}
),

aggregated as (
    select
        month,
        dimension,
        dimension_value,
        {%- for column in ['starting_mrr', 'new_mrr', 'reactivation_mrr', 'expansion_mrr',
            'contraction_mrr', 'churned_mrr', 'voluntary_churned_mrr', 'delinquent_churned_mrr',
            'fx_impact_mrr', 'ending_mrr'] %}
            sum({{ column }}) as {{ column }},
        {%- endfor %}
        {%- for change_type in expansion_types() + contraction_types() %}
            sum({{ change_type }}_mrr) as {{ change_type }}_mrr,
        {%- endfor %}
        {%- for change_type in expansion_types() %}
            cast(sum(case when {{ change_type }}_mrr > 0 then 1 else 0 end) as bigint)
                as {{ change_type }}_events,
        {%- endfor %}
        cast(sum(case when expansion_mrr > 0 then 1 else 0 end) as bigint)
            as expanding_customers
    from movement_rows
    group by 1, 2, 3
),

trailing_twelve_months as (
    select
        *,
        cast(sum(expansion_mrr) {{ trailing_twelve }} as double)
        / nullif(cast(sum(starting_mrr) {{ trailing_twelve }} as double), 0) * 100
            as ttm_expansion_rate_pct,
        12 * cast(sum(upsell_mrr) {{ trailing_twelve }} as double)
        / nullif(sum(upsell_events) {{ trailing_twelve }}, 0) as ttm_avg_upsell_arr,
        12 * cast(sum(expansion_mrr) {{ trailing_twelve }} as double)
        / nullif(sum(expanding_customers) {{ trailing_twelve }}, 0)
            as ttm_avg_expansion_arr_per_expanding_customer
    from aggregated
),

final as (
    select
        *,
        {%- set rate = "cast({0} as double) / nullif(cast(starting_mrr as double), 0) * 100" %}
        {{ rate.format('expansion_mrr') }} as expansion_rate_pct,
        {%- for change_type in expansion_types() %}
            {{ rate.format(change_type ~ '_mrr') }} as {{ change_type }}_rate_pct,
        {%- endfor %}
        {%- for change_type in expansion_types() %}
            cast({{ change_type }}_mrr as double)
            / nullif(cast(expansion_mrr as double), 0) * 100 as {{ change_type }}_share_pct,
        {%- endfor %}
        12 * cast(expansion_mrr as double)
        / nullif(expanding_customers, 0) as avg_expansion_arr_per_expanding_customer,
    {%- for change_type in expansion_types() %}
        12 * cast({{ change_type }}_mrr as double)
        / nullif({{ change_type }}_events, 0)
            as avg_{{ change_type }}_arr
        {{ ',' if not loop.last }}
    {%- endfor %}
    from trailing_twelve_months
)

select * from final
