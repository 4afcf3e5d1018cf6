{#-
    An item's MRR on a month end under the var discounts_in_mrr (definitions in
    int_customer_product_months' YAML): `items` names a relation with the columns of
    int_countable_subscription_items, `month_end` a date expression. billed_item_mrr is the
    charge billed on that day: the net charge while the discount applies, the list charge
    from discount_end on. `suffix` names another pair of the relation's MRR columns
    (`_at_prior_rates`: fx_rate_policy historical).
-#}
{% macro billed_item_mrr(items, month_end, suffix='') -%}
    case
        when {{ items }}.discount_end <= {{ month_end }} then {{ items }}.list_mrr{{ suffix }}
        else {{ items }}.mrr{{ suffix }}
    end
{%- endmacro %}

{% macro counted_item_mrr(items, month_end, suffix='') -%}
    {%- set policy = var('discounts_in_mrr') %}
    {%- if policy == 'all' -%}
        {{ billed_item_mrr(items, month_end, suffix) }}
    {%- elif policy == 'none' -%}
        {{ items }}.list_mrr{{ suffix }}
    {%- else -%}
        case when {{ items }}.discount_end is null then {{ items }}.mrr{{ suffix }} else {{ items }}.list_mrr{{ suffix }} end
    {%- endif %}
{%- endmacro %}

{#-
    Whether an item counts in MRR on `day` (a date expression): counted from
    counted_from, up to but not on counted_to (empty: no end). counted_from and counted_to
    carry the trial and churn_recognition policies (int_countable_subscription_items).
-#}
{% macro item_counts_on(items, day) -%}
    {{ items }}.counted_from <= {{ day }}
    and ({{ items }}.counted_to is null or {{ items }}.counted_to > {{ day }})
{%- endmacro %}
