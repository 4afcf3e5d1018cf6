{#-
    The settings the marts were built with, one row: the reporting date and currency and
    every threshold that turns a number into a status or tier, and the billing policies. Readers (the dashboard, a
    BI tool) take the currency and the threshold lines from here instead of repeating the
    dbt vars, so a warehouse copied elsewhere still says how it was built. The vars are
    validated before any model runs (macros/validate_configuration.sql).
-#}
with

final as (
    select
        {{ as_of_date() }} as as_of_date,
        '{{ var("reporting_currency") | upper }}' as reporting_currency,
        {{ var('include_usage_in_mrr') }} as include_usage_in_mrr,
        cast({{ var('fiscal_year_start_month') }} as integer) as fiscal_year_start_month,
        cast({{ var('nrr_world_class_pct') }} as double) as nrr_world_class_pct,
        cast({{ var('nrr_strong_pct') }} as double) as nrr_strong_pct,
        cast({{ var('nrr_needs_improvement_pct') }} as double) as nrr_needs_improvement_pct,
        cast({{ var('coverage_healthy_ratio') }} as double) as coverage_healthy_ratio,
        cast({{ var('coverage_alert_ratio') }} as double) as coverage_alert_ratio,
        cast({{ var('conversion_lookback_months') }} as integer) as conversion_lookback_months,
        cast({{ var('health_green_min_score') }} as double) as health_green_min_score,
        cast({{ var('health_yellow_min_score') }} as double) as health_yellow_min_score,
        {#- the billing policies, so a month close records what its numbers meant -#}
        '{{ var("fx_rate_policy") }}' as fx_rate_policy,
        {{ "cast('" ~ var('fx_rate_date') ~ "' as date)" if var('fx_rate_date') | string
            else 'cast(null as date)' }} as fx_rate_date,
        '{{ var("churn_recognition") }}' as churn_recognition,
        '{{ var("discounts_in_mrr") }}' as discounts_in_mrr,
        '{{ var("retention_grain") }}' as retention_grain,
        cast({{ var('reactivation_window_months') | string or 'null' }} as integer)
            as reactivation_window_months,
        cast({{ var('past_due_churn_days') | string or 'null' }} as integer)
            as past_due_churn_days,
        cast({{ var('gross_margin_pct') }} as double) as gross_margin_pct,
        cast({{ var('restatement_threshold_points') }} as double)
            as restatement_threshold_points,
        cast({{ var('restatement_threshold_pct') }} as double) as restatement_threshold_pct
)

select * from final
