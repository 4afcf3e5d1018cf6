{#-
    The MRR bridge: one row per customer per reporting month where starting or ending
    MRR is above 0. Definitions are in _finance__models.yml and the README.
    Incremental: a refresh recomputes only the months from int_mrr_refresh_window on,
    reading the month before for starting MRR.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_mrr_refresh_window') ~ ')' %}

with

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

reporting_months as (
    select * from {{ ref('int_reporting_months') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

customer_months as (
    select * from {{ ref('int_customer_months') }}
    {%- if is_incremental() %}
        where next_month >= {{ recompute_from }}
    {%- endif %}
),

customer_product_months as (
    select * from {{ ref('int_customer_product_months') }}
    {%- if is_incremental() %}
        where next_month >= {{ recompute_from }}
    {%- endif %}
),

cohorts as (
    select * from {{ ref('int_customer_cohorts') }}
),

balances as (
    {#-
        A customer's MRR at the end of the month beside its MRR at the end of the month
        before: one row wherever either is above 0 (the month after the last month above
        0 is the churn month).
    -#}
    select
        coalesce(this_month.customer_id, previous_month.customer_id) as customer_id,
        coalesce(this_month.month, previous_month.next_month) as month,
        coalesce(previous_month.mrr, 0) as starting_mrr,
        coalesce(this_month.mrr, 0) as ending_mrr
    from customer_months as this_month
    full outer join customer_months as previous_month
        on
            this_month.customer_id = previous_month.customer_id
            and this_month.month = previous_month.next_month
),

product_changes as (
    {#-
        The same for each product, with its tier, seats and MRR by pricing model
        (int_customer_product_months).
    -#}
    select
        coalesce(this_state.customer_id, previous_state.customer_id) as customer_id,
        coalesce(this_state.month, previous_state.next_month) as month,
        coalesce(previous_state.product_mrr, 0) as starting_product_mrr,
        coalesce(this_state.product_mrr, 0) as ending_product_mrr,
        coalesce(this_state.product_mrr, 0)
        - coalesce(previous_state.product_mrr, 0) as product_delta,
        previous_state.tier_rank as starting_tier_rank,
        this_state.tier_rank as ending_tier_rank,
        coalesce(this_state.seats, 0)
        - coalesce(previous_state.seats, 0) as seats_delta,
    {%- for pricing_model in ['seat', 'usage', 'flat'] %}
        coalesce(this_state.{{ pricing_model }}_priced_mrr, 0)
        - coalesce(previous_state.{{ pricing_model }}_priced_mrr, 0)
            as {{ pricing_model }}_priced_delta
        {{- ',' if not loop.last }}
    {%- endfor %}
    from customer_product_months as this_state
    full outer join customer_product_months as previous_state
        on
            this_state.customer_id = previous_state.customer_id
            and this_state.product = previous_state.product
            and this_state.month = previous_state.next_month
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

item_changes as (
    {#-
        Each pricing model's part of the product moves by its own rule: seat items ->
        seat / seat_reduction when the seat count moved the same way, else price /
        price_decrease; usage items -> usage / usage_decline; flat items -> price /
        price_decrease.
    -#}
    {%- for pricing_model in ['seat', 'usage', 'flat'] %}
        {%- set delta = pricing_model ~ '_priced_delta' %}
        select
            customer_id,
            month,
            case
                {%- if pricing_model == 'seat' %}
                    when {{ delta }} > 0 and seats_delta > 0 then 'seat'
                    when {{ delta }} < 0 and seats_delta < 0 then 'seat_reduction'
                {%- elif pricing_model == 'usage' %}
                    when {{ delta }} > 0 then 'usage'
                    when {{ delta }} < 0 then 'usage_decline'
                {%- endif %}
                when {{ delta }} > 0 then 'price'
                else 'price_decrease'
            end as change_type,
            abs({{ delta }}) as change_mrr
        from product_change_scopes
        where not is_whole_product_change and {{ delta }} != 0
        {{ 'union all' if not loop.last }}
    {%- endfor %}
),

classified_product_changes as (
    select * from whole_product_changes
    union all
    select * from item_changes
),

product_movements as (
    select
        customer_id,
        month,
    {%- for change_type in expansion_types() + contraction_types() %}
        sum(
            case when change_type = '{{ change_type }}' then change_mrr else 0 end
        ) as {{ change_type }}_mrr
        {{ ',' if not loop.last }}
    {%- endfor %}
    from classified_product_changes
    group by 1, 2
),

statuses as (
    select
        balances.customer_id,
        balances.month,
        cohorts.cohort_month,
        balances.starting_mrr,
        balances.ending_mrr,
        case
            when balances.starting_mrr = 0 and balances.month = cohorts.cohort_month
                then 'new'
            when balances.starting_mrr = 0 then 'reactivation'
            when balances.ending_mrr = 0 then 'churn'
            when balances.ending_mrr > balances.starting_mrr then 'expansion'
            when balances.ending_mrr < balances.starting_mrr then 'contraction'
            else 'flat'
        end as movement_type
    from balances
    inner join reporting_months
        on balances.month = reporting_months.month
    inner join cohorts
        on balances.customer_id = cohorts.customer_id
),

final as (
    select
        statuses.month,
        statuses.customer_id,
        customers.segment,
        customers.industry,
        customers.region,
        statuses.cohort_month,
        statuses.movement_type,
        statuses.starting_mrr,
        case
            when statuses.movement_type = 'new' then statuses.ending_mrr else 0
        end as new_mrr,
        case
            when statuses.movement_type = 'reactivation' then statuses.ending_mrr else 0
        end as reactivation_mrr,
        {%- set is_retained = "statuses.starting_mrr > 0 and statuses.ending_mrr > 0" %}
        case
            when {{ is_retained }}
                then
                    {%- for change_type in expansion_types() %}
                        {{ '+ ' if not loop.first }}coalesce(
                            product_movements.{{ change_type }}_mrr, 0
                        )
                    {%- endfor %}
            else 0
        end as expansion_mrr,
        case
            when {{ is_retained }}
                then
                    {%- for change_type in contraction_types() %}
                        {{ '+ ' if not loop.first }}coalesce(
                            product_movements.{{ change_type }}_mrr, 0
                        )
                    {%- endfor %}
            else 0
        end as contraction_mrr,
        case
            when statuses.movement_type = 'churn' then statuses.starting_mrr else 0
        end as churned_mrr,
        statuses.ending_mrr,
    {%- for change_type in expansion_types() + contraction_types() %}
        case
            when {{ is_retained }}
                then coalesce(product_movements.{{ change_type }}_mrr, 0)
            else 0
        end as {{ change_type }}_mrr
        {{ ',' if not loop.last }}
    {%- endfor %}
    from statuses
    inner join customers
        on statuses.customer_id = customers.customer_id
    left join product_movements
        on
            statuses.customer_id = product_movements.customer_id
            and statuses.month = product_movements.month
)

select * from final
