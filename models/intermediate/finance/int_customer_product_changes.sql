{#-
    What changed in each customer's products from one reporting month to the next, by
    expansion and contraction type: one row per customer and reporting month in which
    some product's MRR changed. Definitions in _finance__models.yml.
    Under fx_rate_policy historical both states are valued at the month before's rates
    (the ending state's *_at_prior_rates columns), so a currency swing is never a change.
    Incremental: a refresh recomputes only the months from int_mrr_refresh_window on,
    reading the month before for the starting state.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_mrr_refresh_window') ~ ')' %}
{%- set at_prior_rates = '_at_prior_rates' if var('fx_rate_policy') == 'historical' else '' %}

with

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

customer_product_months as (
    select * from {{ ref('int_customer_product_months') }}
    {%- if is_incremental() %}
        where next_month >= {{ recompute_from }}
    {%- endif %}
),

month_sides as (
    {#-
        Every product state is read twice: as the ending state of its month and as the
        starting state of the month after (next_month). Grouping both sides by month
        pairs each month with the month before in one pass; a full outer join of the
        states with themselves held both copies in memory (16 GB for the product states
        of 1,000,000 customers, with 2 threads).
    -#}
    select false as is_starting
    union all
    select true as is_starting
),

product_sides as (
    select
        customer_product_months.customer_id,
        customer_product_months.product,
        customer_product_months.tier_rank,
        customer_product_months.seats,
        {%- set valued = [
            'product_mrr', 'seat_priced_mrr', 'usage_priced_mrr', 'flat_priced_mrr'
        ] %}
        {%- for column in valued %}
            {%- if at_prior_rates %}
                case
                    when month_sides.is_starting then customer_product_months.{{ column }}
                    else customer_product_months.{{ column }}{{ at_prior_rates }}
                end as {{ column }},
            {%- else %}
                customer_product_months.{{ column }},
            {%- endif %}
        {%- endfor %}
        month_sides.is_starting,
        case
            when month_sides.is_starting then customer_product_months.next_month
            else customer_product_months.month
        end as side_month,
        case when month_sides.is_starting then -1 else 1 end as side_sign
    from customer_product_months
    cross join month_sides
),

product_changes as (
    {#-
        Each product's MRR, tier, seats and MRR by pricing model at the end of the month
        before and at the month's end (int_customer_product_months); each delta is
        ending minus starting.
    -#}
    select
        customer_id,
        product,
        side_month as month,
        sum(case when is_starting then product_mrr else 0 end) as starting_product_mrr,
        sum(case when is_starting then 0 else product_mrr end) as ending_product_mrr,
        sum(side_sign * product_mrr) as product_delta,
        max(case when is_starting then tier_rank end) as starting_tier_rank,
        max(case when is_starting then null else tier_rank end) as ending_tier_rank,
        sum(side_sign * seats) as seats_delta,
        sum(case when is_starting then seats else 0 end) as starting_seats,
        sum(case when is_starting then seat_priced_mrr else 0 end) as starting_seat_priced_mrr,
    {%- for pricing_model in ['seat', 'usage', 'flat'] %}
        sum(side_sign * {{ pricing_model }}_priced_mrr) as {{ pricing_model }}_priced_delta
        {{- ',' if not loop.last }}
    {%- endfor %}
    from product_sides
    group by 1, 2, 3
),

product_change_scopes as (
    {#-
        A product that appears, disappears or changes tier in the direction of its
        change is classified as a whole; otherwise by its items' pricing models.
    -#}
    select
        *,
        coalesce(
            starting_product_mrr = 0
            or ending_product_mrr = 0
            or (product_delta > 0 and ending_tier_rank > starting_tier_rank)
            or (product_delta < 0 and ending_tier_rank < starting_tier_rank),
            false
        ) as is_whole_product_change
    from product_changes
),

whole_product_changes as (
    select
        customer_id,
        month,
        case
            when starting_product_mrr = 0 then 'cross_sell'
            when ending_product_mrr = 0 then 'product_removal'
            when product_delta > 0 then 'upsell'
            else 'downgrade'
        end as change_type,
        abs(product_delta) as change_mrr
    from product_change_scopes
    where is_whole_product_change and product_delta != 0
),

seat_parts as (
    {#-
        GitLab's split of the seat-priced part of a product: seat part = last month's
        MRR per seat x the change in seats, price part = the rest (this month's seats x
        the change in MRR per seat); without seats last month it is all seat part, unless
        the seat count did not move either (seat items of quantity 0): then all price.
    -#}
    select
        *,
        case
            when starting_seats = 0 and seats_delta = 0 then 0
            when starting_seats = 0 then seat_priced_delta
            else cast(
                starting_seat_priced_mrr / starting_seats * seats_delta as decimal(38, 6)
            )
        end as seat_part
    from product_change_scopes
    where not is_whole_product_change
),

item_changes as (
    {#-
        Each pricing model's part of the product moves by its own rule: the seat part of
        seat items -> seat / seat_reduction and their price part -> price /
        price_decrease, each by its own sign; usage items -> usage / usage_decline; flat
        items -> price / price_decrease.
    -#}
    {%- for part, expansion, contraction in [
        ('seat_part', 'seat', 'seat_reduction'),
        ('seat_priced_delta - seat_part', 'price', 'price_decrease'),
        ('usage_priced_delta', 'usage', 'usage_decline'),
        ('flat_priced_delta', 'price', 'price_decrease'),
    ] %}
        select
            customer_id,
            month,
            case
                when {{ part }} > 0 then '{{ expansion }}' else '{{ contraction }}'
            end as change_type,
            abs({{ part }}) as change_mrr
        from seat_parts
        where {{ part }} != 0
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

classified_product_changes as (
    select * from whole_product_changes
    union all
    select * from item_changes
),

final as (
    select
        classified_product_changes.customer_id,
        classified_product_changes.month,
    {%- for change_type in expansion_types() + contraction_types() %}
        sum(
            case
                when classified_product_changes.change_type = '{{ change_type }}'
                    then classified_product_changes.change_mrr
                else 0
            end
        ) as {{ change_type }}_mrr
        {{ ',' if not loop.last }}
    {%- endfor %}
    from classified_product_changes
    inner join reporting_months
        on classified_product_changes.month = reporting_months.month
    group by 1, 2
)

select * from final
