{#-
    Expansion per reporting month, for the total and per segment, industry and region:
    the bridge's amounts summed, expansion rates, event counts and average amounts.
-#}
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
    from aggregated
)

select * from final
