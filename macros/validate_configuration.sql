{#-
    Runs before anything else (on-run-start): every var that reaches SQL is checked, and
    a malformed value stops the run with a clear message before any statement executes.
-#}
{% macro validate_configuration() %}
    {%- set re = modules.re -%}
    {%- set problems = [] -%}

    {#- as_of_date: empty (= today) or an ISO date -#}
    {%- set as_of = var('as_of_date', '') | string -%}
    {%- if as_of and not re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', as_of) -%}
        {%- do problems.append("as_of_date must be a date like 2026-10-31, got '" ~ as_of ~ "'") -%}
    {%- elif as_of -%}
        {%- set parts = as_of.split('-') | map('int') | list -%}
        {%- if parts[1] < 1 or parts[1] > 12 or parts[2] < 1 or parts[2] > 31 -%}
            {%- do problems.append("as_of_date is not a real date: '" ~ as_of ~ "'") -%}
        {%- endif -%}
    {%- endif -%}

    {%- if not re.fullmatch('[A-Z]{3}', var('reporting_currency') | string) -%}
        {%- do problems.append("reporting_currency must be a three-letter ISO 4217 code like USD, got '"
            ~ var('reporting_currency') ~ "'") -%}
    {%- endif -%}

    {%- if var('include_usage_in_mrr') not in [true, false] -%}
        {%- do problems.append("include_usage_in_mrr must be true or false, got '"
            ~ var('include_usage_in_mrr') ~ "'") -%}
    {%- endif -%}

    {#- plain numbers -#}
    {%- set numbers = [
        'nrr_world_class_pct', 'nrr_strong_pct', 'nrr_needs_improvement_pct',
        'coverage_healthy_ratio', 'coverage_alert_ratio', 'health_usage_decline_pct',
        'health_upgrade_prompt_pct', 'health_weight_usage', 'health_weight_support',
        'health_weight_payments', 'health_weight_relationship', 'health_weight_renewal',
        'health_green_min_score', 'health_yellow_min_score', 'logo_churn_target_default_pct'
    ] -%}
    {%- for name in numbers -%}
        {%- if not re.fullmatch('[0-9]+(\.[0-9]+)?', var(name) | string) -%}
            {%- do problems.append(name ~ " must be a non-negative number, got '" ~ var(name) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}

    {#- whole numbers of at least 1 -#}
    {%- set counts = [
        'fiscal_year_start_month', 'conversion_lookback_months', 'health_usage_recent_days',
        'health_usage_baseline_days', 'health_support_recent_days',
        'health_support_baseline_days', 'health_payment_days', 'health_sponsor_change_days',
        'health_qbr_days', 'health_renewal_days', 'raw_freshness_warn_hours',
        'raw_freshness_error_hours'
    ] -%}
    {%- for name in counts -%}
        {%- if not re.fullmatch('[1-9][0-9]*', var(name) | string) -%}
            {%- do problems.append(name ~ " must be a whole number of at least 1, got '" ~ var(name) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if re.fullmatch('[1-9][0-9]*', var('fiscal_year_start_month') | string)
        and (var('fiscal_year_start_month') | int) > 12 -%}
        {%- do problems.append("fiscal_year_start_month must be 1-12, got '" ~ var('fiscal_year_start_month') ~ "'") -%}
    {%- endif -%}

    {#- logo churn targets: segment name -> number -#}
    {%- set targets = var('logo_churn_targets_pct') -%}
    {%- if targets is not mapping -%}
        {%- do problems.append("logo_churn_targets_pct must be a mapping like {enterprise: 5}") -%}
    {%- else -%}
        {%- for segment, target in targets.items() -%}
            {%- if not re.fullmatch('[a-z0-9_]+', segment | string)
                or not re.fullmatch('[0-9]+(\.[0-9]+)?', target | string) -%}
                {%- do problems.append("logo_churn_targets_pct: '" ~ segment ~ "': '" ~ target
                    ~ "' must be a lower-case segment name and a number") -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}

    {%- if problems | length == 0 -%}
        {%- if (var('coverage_alert_ratio') | float) > (var('coverage_healthy_ratio') | float) -%}
            {%- do problems.append("coverage_alert_ratio must not be above coverage_healthy_ratio") -%}
        {%- endif -%}
        {%- if (var('health_yellow_min_score') | float) > (var('health_green_min_score') | float) -%}
            {%- do problems.append("health_yellow_min_score must not be above health_green_min_score") -%}
        {%- endif -%}
        {%- if not ((var('nrr_needs_improvement_pct') | float) <= (var('nrr_strong_pct') | float)
            <= (var('nrr_world_class_pct') | float)) -%}
            {%- do problems.append("NRR tier thresholds must rise: needs_improvement <= strong <= world_class") -%}
        {%- endif -%}
    {%- endif -%}

    {%- if problems -%}
        {{ exceptions.raise_compiler_error(
            "Invalid configuration, nothing was run:\n  - " ~ (problems | join("\n  - "))) }}
    {%- endif -%}
{% endmacro %}
