{#-
    Runs before anything else (on-run-start): every var that reaches SQL is checked, and
    a malformed value stops the run with a clear message before any statement executes.
-#}
{% macro validate_configuration() %}
    {%- set re = modules.re -%}
    {%- set problems = [] -%}

    {#- var names given on the command line: each must be a var of dbt_project.yml -#}
    {%- for name in unknown_cli_vars() -%}
        {%- set closest = closest_var_name(name) -%}
        {%- do problems.append("unknown var '" ~ name ~ "'"
            ~ (" (did you mean '" ~ closest ~ "'?)" if closest else
               " (known vars: " ~ (known_var_names() | join(', ')) ~ ")")) -%}
    {%- endfor -%}

    {#- earliest_date: a real ISO date -#}
    {%- set earliest = var('earliest_date') | string -%}
    {%- if not is_real_date(earliest) -%}
        {%- do problems.append("earliest_date must be a real date like 2000-01-01, got '"
            ~ earliest ~ "'") -%}
    {%- endif -%}

    {#- as_of_date: its one check is as_of_date_problem (macros/as_of_date.sql) -#}
    {%- set as_of_problem = as_of_date_problem() -%}
    {%- if as_of_problem -%}
        {%- do problems.append(as_of_problem) -%}
    {%- endif -%}

    {%- if not re.fullmatch('[A-Z]{3}', var('reporting_currency') | string) -%}
        {%- do problems.append("reporting_currency must be a three-letter ISO 4217 code like USD, got '"
            ~ var('reporting_currency') ~ "'") -%}
    {%- endif -%}

    {#- fx_rate_policy: fixed takes its rates on or before fx_rate_date, a real date -#}
    {%- if var('fx_rate_policy') not in ['latest', 'fixed', 'historical'] -%}
        {%- do problems.append("fx_rate_policy must be one of latest, fixed, historical, got '"
            ~ var('fx_rate_policy') ~ "'") -%}
    {%- elif var('fx_rate_policy') == 'fixed' and not is_real_date(var('fx_rate_date') | string) -%}
        {%- do problems.append("fx_rate_policy fixed needs fx_rate_date, a real date like "
            ~ "2026-01-01 (the rates on or before it count), got '" ~ var('fx_rate_date') ~ "'") -%}
    {%- elif var('fx_rate_date') and not is_real_date(var('fx_rate_date') | string) -%}
        {%- do problems.append("fx_rate_date must be a real date like 2026-01-01, got '"
            ~ var('fx_rate_date') ~ "'") -%}
    {%- endif -%}

    {%- if var('include_usage_in_mrr') not in [true, false] -%}
        {%- do problems.append("include_usage_in_mrr must be true or false, got '"
            ~ var('include_usage_in_mrr') ~ "'") -%}
    {%- endif -%}

    {#- where the raw contract's tables come from -#}
    {%- set choices = {
        'billing_source': ['contract', 'stripe'],
        'crm_source': ['contract', 'salesforce', 'hubspot'],
        'discounts_reducing_mrr': ['forever', 'all'],
        'churn_recognition': ['service_end', 'cancellation'],
        'discounts_in_mrr': ['permanent_only', 'all', 'none'],
        'retention_grain': ['customer', 'parent'],
    } -%}
    {%- for name, allowed in choices.items() -%}
        {%- if var(name) not in allowed -%}
            {%- do problems.append(name ~ " must be one of " ~ (allowed | join(', '))
                ~ ", got '" ~ var(name) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for name in ['stripe_using_price', 'stripe_using_subscription_history'] -%}
        {%- if var(name) not in [true, false] -%}
            {%- do problems.append(name ~ " must be true or false, got '" ~ var(name) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}

    {#- plain numbers -#}
    {%- set numbers = [
        'nrr_world_class_pct', 'nrr_strong_pct', 'nrr_needs_improvement_pct',
        'coverage_healthy_ratio', 'coverage_alert_ratio', 'health_usage_decline_pct',
        'health_upgrade_prompt_pct', 'health_weight_usage', 'health_weight_support',
        'health_weight_payments', 'health_weight_relationship', 'health_weight_renewal',
        'health_green_min_score', 'health_yellow_min_score', 'logo_churn_target_default_pct',
        'gross_margin_pct', 'restatement_threshold_points', 'restatement_threshold_pct'
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
    {%- if re.fullmatch('[0-9]+(\.[0-9]+)?', var('gross_margin_pct') | string)
        and (var('gross_margin_pct') | float) > 100 -%}
        {%- do problems.append("gross_margin_pct must be a percentage from 0 to 100, got '" ~ var('gross_margin_pct') ~ "'") -%}
    {%- endif -%}
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

    {#- policies that are off when empty, else a whole number (of months, of days) -#}
    {%- for name, unit in [('reactivation_window_months', 'months'), ('past_due_churn_days', 'days')] -%}
        {%- if var(name) | string != '' and not re.fullmatch('[0-9]+', var(name) | string) -%}
            {%- do problems.append(name ~ " must be empty or a whole number of " ~ unit
                ~ ", got '" ~ var(name) ~ "'") -%}
        {%- endif -%}
    {%- endfor -%}

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

{#- A string like 2026-02-28 that names a real calendar date (year 0001 to 9999). -#}
{% macro is_real_date(text) %}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', text | string) -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set year, month, day = (text | string).split('-') | map('int') | list -%}
    {%- if year < 1 or month < 1 or month > 12 or day < 1 -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {{ return(day <= month_days[month - 1]) }}
{% endmacro %}

{#-
    The vars of dbt_project.yml. dbt does not list them to Jinja, so they are named here
    once; python_checks/test_configuration.py fails when this list and dbt_project.yml
    differ.
-#}
{% macro known_var_names() %}
    {{ return([
        'as_of_date', 'earliest_date', 'reporting_currency', 'fx_rate_policy', 'fx_rate_date',
        'include_usage_in_mrr', 'churn_recognition', 'discounts_in_mrr',
        'reactivation_window_months', 'past_due_churn_days', 'retention_grain',
        'nrr_world_class_pct', 'nrr_strong_pct', 'nrr_needs_improvement_pct',
        'fiscal_year_start_month', 'coverage_healthy_ratio', 'coverage_alert_ratio',
        'conversion_lookback_months',
        'health_usage_recent_days', 'health_usage_baseline_days', 'health_usage_decline_pct',
        'health_support_recent_days', 'health_support_baseline_days', 'health_payment_days',
        'health_sponsor_change_days', 'health_qbr_days', 'health_renewal_days',
        'health_upgrade_prompt_pct', 'health_weight_usage', 'health_weight_support',
        'health_weight_payments', 'health_weight_relationship', 'health_weight_renewal',
        'health_green_min_score', 'health_yellow_min_score',
        'logo_churn_targets_pct', 'logo_churn_target_default_pct', 'gross_margin_pct',
        'restatement_threshold_points', 'restatement_threshold_pct',
        'raw_freshness_warn_hours', 'raw_freshness_error_hours',
        'billing_source', 'crm_source', 'stripe_database', 'stripe_schema',
        'salesforce_database', 'salesforce_schema', 'hubspot_database', 'hubspot_schema',
        'stripe_using_price', 'stripe_using_subscription_history',
        'stripe_pricing_model_key', 'stripe_plan_tier_key', 'stripe_segment_key',
        'stripe_industry_key', 'stripe_region_key', 'stripe_crm_account_key',
        'discounts_reducing_mrr',
        'salesforce_segment_field', 'salesforce_industry_field', 'salesforce_region_field',
        'salesforce_arr_field', 'salesforce_expansion_type_field',
        'hubspot_segment_property', 'hubspot_industry_property', 'hubspot_region_property',
        'hubspot_arr_property', 'hubspot_expansion_type_property',
        'hubspot_deal_type_property', 'hubspot_currency_property'
    ]) }}
{% endmacro %}

{#- Names passed with --vars (invocation_args_dict: a mapping, or YAML text) not known. -#}
{% macro unknown_cli_vars() %}
    {%- set given = invocation_args_dict.get('vars') or {} -%}
    {%- if given is string -%}
        {%- set given = fromyaml(given) or {} -%}
    {%- endif -%}
    {%- set known = known_var_names() -%}
    {{ return(given.keys() | map('string') | reject('in', known) | sort | list) }}
{% endmacro %}

{#-
    The known var closest to `name` by edit distance (insertions, deletions,
    substitutions), if it is close: at most a third of the longer name, at least 2.
-#}
{% macro closest_var_name(name) %}
    {%- set best = namespace(name=none, distance=none) -%}
    {%- for known in known_var_names() -%}
        {%- set distance = edit_distance(name | lower, known) -%}
        {%- if best.distance is none or distance < best.distance -%}
            {%- set best.name = known -%}
            {%- set best.distance = distance -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set allowed = [2, ([name | length, best.name | length] | max) // 3] | max -%}
    {{ return(best.name if best.distance <= allowed else none) }}
{% endmacro %}

{#- Levenshtein distance of two strings, one row of the table at a time. -#}
{% macro edit_distance(a, b) %}
    {%- set row = namespace(previous=range(b | length + 1) | list) -%}
    {%- for i in range(a | length) -%}
        {%- set current = [i + 1] -%}
        {%- for j in range(b | length) -%}
            {%- do current.append([
                row.previous[j + 1] + 1,
                current[j] + 1,
                row.previous[j] + (0 if a[i] == b[j] else 1)
            ] | min) -%}
        {%- endfor -%}
        {%- set row.previous = current -%}
    {%- endfor -%}
    {{ return(row.previous[-1]) }}
{% endmacro %}
