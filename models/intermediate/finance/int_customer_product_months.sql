{#-
    Product state of a customer at the end of each month: the items counted on the
    month's last day (counted_from <= month_end_date and counted_to empty or later: the
    trial and churn_recognition policies), at the MRR the var discounts_in_mrr gives,
    with the product's MRR split by the pricing model of its items. Under
    fx_rate_policy historical each month converts at its own rate
    (int_fx_monthly_rates) and the *_at_prior_rates columns value the same items at
    the month before's rates, for classifying movements without currency swings.
    Incremental: a refresh recomputes only the months from int_mrr_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_mrr_refresh_window') ~ ')' %}
{%- set is_historical = var('fx_rate_policy') == 'historical' %}

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

item_months as (
    {#- Each item on each month end it counts, at the MRR of that month's rates. -#}
    select
        calendar_months.month,
        calendar_months.next_month,
        calendar_months.month_end_date,
        countable_items.customer_id,
        countable_items.product,
        countable_items.pricing_model,
        countable_items.quantity,
        countable_items.discount_end,
        countable_items.tier_rank,
        {%- if is_historical %}
            {%- for column in ['mrr', 'list_mrr'] %}
                cast(countable_items.{{ column }}_local * month_rates.rate_to_reporting
                    as decimal(18, 6)) as {{ column }},
                cast(countable_items.{{ column }}_local * month_rates.prior_rate_to_reporting
                    as decimal(18, 6)) as {{ column }}_at_prior_rates
                {{- ',' if not loop.last }}
            {%- endfor %}
        {%- else %}
            countable_items.mrr,
            countable_items.list_mrr
        {%- endif %}
    from countable_items
    inner join calendar_months
        on {{ item_counts_on('countable_items', 'calendar_months.month_end_date') }}
    {%- if is_historical %}
        {#- fx_rate_policy historical only: the month's rates -#}
        inner join {{ ref('int_fx_monthly_rates') }} as month_rates
            on
                countable_items.currency = month_rates.currency
                and calendar_months.month = month_rates.month
    {%- endif %}
),

active_items as (
    select
        item_months.month,
        item_months.next_month,
        item_months.customer_id,
        item_months.product,
        item_months.pricing_model,
        item_months.quantity,
        {#- discounts_in_mrr: macros/billing_policies.sql -#}
        {{ counted_item_mrr('item_months', 'item_months.month_end_date') }} as mrr,
        item_months.list_mrr
        - {{ billed_item_mrr('item_months', 'item_months.month_end_date') }} as discount_mrr,
        {%- if is_historical %}
            {{ counted_item_mrr('item_months', 'item_months.month_end_date', '_at_prior_rates') }}
                as mrr_at_prior_rates,
        {%- endif %}
        item_months.tier_rank
    from item_months
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
        {%- if is_historical %}
            sum(mrr_at_prior_rates) as product_mrr_at_prior_rates,
            {%- for pricing_model in ['seat', 'usage', 'flat'] %}
                sum(
                    case
                        when pricing_model = '{{ pricing_model }}' then mrr_at_prior_rates
                        else 0
                    end
                ) as {{ pricing_model }}_priced_mrr_at_prior_rates,
            {%- endfor %}
        {%- endif %}
        coalesce(
            sum(case when pricing_model = 'seat' then quantity end), 0
        ) as seats,
        max(tier_rank) as tier_rank
    from active_items
    group by 1, 2, 3, 4
)

select * from final
