{#-
    The settings the marts were built with, one row: the reporting date and currency and
    every threshold that turns a number into a status or tier. Readers (the dashboard, a
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
        cast({{ var('health_yellow_min_score') }} as double) as health_yellow_min_score
)

select * from final
