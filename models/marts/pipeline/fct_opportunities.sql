{#-
    One row per expansion opportunity existing on as_of_date: its stage as of that date,
    ARR in the reporting currency at constant currency, customer attributes, the fiscal
    quarter of its close date, days open, and whether it is won, lost or open.
-#}
with

opportunities as (
    select * from {{ ref('int_opportunities_converted') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

opportunity_snapshots as (
    select * from {{ ref('int_opportunity_snapshots') }}
    where snapshot_date = {{ as_of_date() }}
),

final as (
    select
        opportunities.opportunity_id,
        opportunities.customer_id,
        customers.customer_name,
        coalesce(customers.segment, 'unknown') as segment,
        coalesce(customers.industry, 'unknown') as industry,
        coalesce(customers.region, 'unknown') as region,
        opportunities.expansion_type,
        opportunity_snapshots.stage,
        opportunity_snapshots.stage_order,
        opportunity_snapshots.stage_entered_date,
        case
            when opportunity_snapshots.is_won then 'won'
            when opportunity_snapshots.is_open then 'open'
            else 'lost'
        end as opportunity_status,
        opportunity_snapshots.is_open,
        opportunity_snapshots.is_won,
        not opportunity_snapshots.is_open and not opportunity_snapshots.is_won as is_lost,
        opportunities.arr,
        opportunities.arr_local,
        opportunities.currency,
        opportunities.owner,
        opportunities.created_date,
        opportunities.close_date,
        {{ fiscal_quarter('opportunities.close_date') }} as close_fiscal_quarter,
        cast({{ dbt.datediff(
            'opportunities.created_date',
            'case when opportunity_snapshots.is_open then ' ~ as_of_date()
            ~ ' else opportunity_snapshots.stage_entered_date end',
            'day'
        ) }} as bigint) as days_open
    from opportunities
    inner join opportunity_snapshots
        on opportunities.opportunity_id = opportunity_snapshots.opportunity_id
    left join customers
        on opportunities.customer_id = customers.customer_id
)

select * from final
