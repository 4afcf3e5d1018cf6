{#-
    Product state of a customer at the end of each month: the items counted on the
    month's last day (counted_from <= month_end_date and counted_to empty or later: the
    trial and churn_recognition policies), at the MRR the var discounts_in_mrr gives,
    with the product's MRR split by the pricing model of its items.
    Incremental: a refresh recomputes only the months from int_mrr_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_mrr_refresh_window') ~ ')' %}

with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
    {%- if is_incremental() %}
        where counted_to is null or counted_to > {{ recompute_from }}
    {%- endif %}
),

calendar_months as (
    select * from {{ ref('int_calendar_months') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

active_items as (
    select
        calendar_months.month,
        calendar_months.next_month,
        countable_items.customer_id,
        countable_items.product,
        countable_items.pricing_model,
        countable_items.quantity,
        {#- discounts_in_mrr: macros/billing_policies.sql -#}
        {{ counted_item_mrr('countable_items', 'calendar_months.month_end_date') }} as mrr,
        countable_items.list_mrr
        - {{ billed_item_mrr('countable_items', 'calendar_months.month_end_date') }}
            as discount_mrr,
        countable_items.tier_rank
    from countable_items
    inner join calendar_months
        on
            countable_items.counted_from <= calendar_months.month_end_date
            and (
                countable_items.counted_to is null
                or countable_items.counted_to > calendar_months.month_end_date
            )
),

final as (
    {#-
        One product can hold items of different pricing models (a usage add-on beside
        seats): their MRR and the seat count are kept apart, so a change is classified
        by the items that changed.
    -#}
    select
        month,
        next_month,
        customer_id,
        product,
        sum(mrr) as product_mrr,
        sum(discount_mrr) as discount_mrr,
        {%- for pricing_model in ['seat', 'usage', 'flat'] %}
            sum(
                case when pricing_model = '{{ pricing_model }}' then mrr else 0 end
            ) as {{ pricing_model }}_priced_mrr,
        {%- endfor %}
        coalesce(
            sum(case when pricing_model = 'seat' then quantity end), 0
        ) as seats,
        max(tier_rank) as tier_rank
    from active_items
    group by 1, 2, 3, 4
)

select * from final
