{#-
    An amount as a decimal(18, 6), so sums reconcile exactly: below 1e12. A larger value
    (an amount the loader accepts, converted at a rate above 1) is left null, never a
    cast error; int_quarantined_rows names the row and the limit.
-#}
{% macro bounded_amount(expression) -%}
    case
        when abs({{ expression }}) < 999999999999
            then cast({{ expression }} as decimal(18, 6))
    end
{%- endmacro %}

{#-
    A subscription item's charge for one billing period as a monthly amount (bounded):
    charge x intervals_per_year / 12 / interval_count. With whole months in the period
    that is charge / months_in_interval (one division, so a monthly, quarterly or yearly
    item's MRR is exactly what it was before interval_count existed). Reads the item's
    months_in_interval, intervals_per_year and interval_count (stg_billing__subscription_items).
-#}
{% macro monthly_amount(charge) -%}
    {{ bounded_amount(
        "case when months_in_interval is not null then " ~ charge ~ " / months_in_interval "
        ~ "else " ~ charge ~ " * intervals_per_year / (12 * interval_count) end"
    ) }}
{%- endmacro %}
