{#-
    The MRR bridge: one row per customer per reporting month where starting or ending
    MRR is above 0. Definitions are in _finance__models.yml and the README.
    Incremental: a refresh recomputes only the months from int_mrr_refresh_window on,
    reading the month before for starting MRR.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_mrr_refresh_window') ~ ')' %}
{%- set at_prior_rates = '_at_prior_rates' if var('fx_rate_policy') == 'historical' else '' %}

with

attribute_periods as (
    select * from {{ ref('int_customer_attribute_periods') }}
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

customer_product_changes as (
    select * from {{ ref('int_customer_product_changes') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

cohorts as (
    select * from {{ ref('int_customer_cohorts') }}
),

delinquent_months as (
    select * from {{ ref('int_customer_delinquent_months') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

month_sides as (
    {#-
        Every customer's month-end MRR is read twice: as the ending MRR of its month and
        as the starting MRR of the month after (next_month), so grouping by month pairs
        each month with the month before without a self-join (as
        int_customer_product_changes does for products).
    -#}
    select false as is_starting
    union all
    select true as is_starting
),

customer_sides as (
    select
        customer_months.customer_id,
        case
            when month_sides.is_starting then customer_months.next_month
            else customer_months.month
        end as month,
        case when month_sides.is_starting then customer_months.mrr else 0 end
            as starting_mrr,
        case when month_sides.is_starting then 0 else customer_months.mrr end
            as ending_mrr,
        {#- fx_rate_policy historical: this month's MRR at last month's rates -#}
        case
            when month_sides.is_starting then 0 else customer_months.mrr{{ at_prior_rates }}
        end as ending_mrr_at_prior_rates,
        case when month_sides.is_starting then 0 else customer_months.discount_mrr end
            as discount_mrr
    from customer_months
    cross join month_sides
),

balances as (
    {#-
        Per customer and month: MRR at the end of the month before and at its end (one
        row wherever either is above 0: the month after the last month above 0 is the
        churn month). An aggregation of the two sides, not a join of this month with the
        month before: at 1,000,000 customers that join did not fit in DuckDB's 6 GB.
    -#}
    select
        customer_id,
        month,
        sum(starting_mrr) as starting_mrr,
        sum(ending_mrr) as ending_mrr,
        sum(ending_mrr_at_prior_rates) as ending_mrr_at_prior_rates,
        sum(discount_mrr) as discount_mrr
    from customer_sides
    group by 1, 2
),

product_change_totals as (
    {#-
        Per customer and month with a product change: its MRR by change type. Grouped
        apart from the balances and joined to them: 16 sums over every customer side
        (twice the customer-months) took twice as long at 100,000 customers.
    -#}
    select
        customer_id,
        month,
    {%- for change_type in expansion_types() + contraction_types() %}
        sum({{ change_type }}_mrr) as {{ change_type }}_mrr
        {{- ',' if not loop.last }}
    {%- endfor %}
    from customer_product_changes
    group by 1, 2
),

statuses as (
    select
        balances.customer_id,
        balances.month,
        cohorts.cohort_month,
        balances.starting_mrr,
        balances.ending_mrr,
        balances.ending_mrr_at_prior_rates,
        balances.discount_mrr,
        {#- expansion and contraction compare both months at last month's rates -#}
        case
            when balances.starting_mrr = 0 and balances.month = cohorts.cohort_month
                then 'new'
            when balances.starting_mrr = 0 then 'reactivation'
            when balances.ending_mrr = 0 then 'churn'
            when balances.ending_mrr_at_prior_rates > balances.starting_mrr then 'expansion'
            when balances.ending_mrr_at_prior_rates < balances.starting_mrr then 'contraction'
            else 'flat'
        end as movement_type,
        delinquent_months.customer_id is not null as is_delinquent,
    {%- for change_type in expansion_types() + contraction_types() %}
        coalesce(product_change_totals.{{ change_type }}_mrr, 0) as {{ change_type }}_mrr
        {{- ',' if not loop.last }}
    {%- endfor %}
    from balances
    inner join reporting_months
        on balances.month = reporting_months.month
    inner join cohorts
        on
            balances.customer_id = cohorts.customer_id
            and balances.month >= cohorts.cohort_month
            and (
                cohorts.next_cohort_month is null
                or balances.month < cohorts.next_cohort_month
            )
    left join product_change_totals
        on
            balances.customer_id = product_change_totals.customer_id
            and balances.month = product_change_totals.month
    left join delinquent_months
        on
            balances.customer_id = delinquent_months.customer_id
            and balances.month = delinquent_months.month
),

final as (
    select
        statuses.month,
        statuses.customer_id,
        {#- the attributes as of the month's first day (customer_attribute_history) -#}
        attribute_periods.segment,
        attribute_periods.industry,
        attribute_periods.region,
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
                        {{ '+ ' if not loop.first }}statuses.{{ change_type }}_mrr
                    {%- endfor %}
            else 0
        end as expansion_mrr,
        case
            when {{ is_retained }}
                then
                    {%- for change_type in contraction_types() %}
                        {{ '+ ' if not loop.first }}statuses.{{ change_type }}_mrr
                    {%- endfor %}
            else 0
        end as contraction_mrr,
        case
            when statuses.movement_type = 'churn' then statuses.starting_mrr else 0
        end as churned_mrr,
        case
            when statuses.movement_type = 'churn' and not statuses.is_delinquent
                then statuses.starting_mrr
            else 0
        end as voluntary_churned_mrr,
        case
            when statuses.movement_type = 'churn' and statuses.is_delinquent
                then statuses.starting_mrr
            else 0
        end as delinquent_churned_mrr,
        cast(
            case
                when {{ is_retained }}
                    then statuses.ending_mrr - statuses.ending_mrr_at_prior_rates
                else 0
            end as decimal(38, 6)
        ) as fx_impact_mrr,
        statuses.ending_mrr,
        statuses.discount_mrr,
    {%- for change_type in expansion_types() + contraction_types() %}
        case
            when {{ is_retained }}
                then statuses.{{ change_type }}_mrr
            else 0
        end as {{ change_type }}_mrr
        {{ ',' if not loop.last }}
    {%- endfor %}
    from statuses
    inner join attribute_periods
        on
            statuses.customer_id = attribute_periods.customer_id
            and statuses.month >= attribute_periods.valid_from
            and statuses.month < attribute_periods.valid_to
)

select * from final
