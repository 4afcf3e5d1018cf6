{#-
    Committed MRR for each of the 12 months after the last reporting month, for the
    total and per segment, industry and region: today's MRR, what signed future items
    and scheduled changes add or take away by that month's end, and the committed MRR.
    Definitions in _finance__models.yml.
-#}
with

committed as (
    select * from {{ ref('int_customer_committed_mrr') }}
),

customers as (
    select * from {{ ref('stg_billing__customers') }}
),

customer_changes as (
    {#- each customer's change from today to the month, by the same rules as the bridge -#}
    select
        committed.month,
        committed.months_ahead,
        committed.customer_id,
        customers.segment,
        customers.industry,
        customers.region,
        committed.current_mrr,
        case
            when committed.current_mrr = 0 then committed.committed_mrr else 0
        end as signed_future_mrr,
        case
            when committed.current_mrr > 0 and committed.committed_mrr > committed.current_mrr
                then committed.committed_mrr - committed.current_mrr
            else 0
        end as scheduled_increase_mrr,
        case
            when committed.committed_mrr = 0 then committed.current_mrr else 0
        end as scheduled_churn_mrr,
        case
            when
                committed.committed_mrr > 0
                and committed.committed_mrr < committed.current_mrr
                then committed.current_mrr - committed.committed_mrr
            else 0
        end as scheduled_decrease_mrr,
        committed.committed_mrr
    from committed
    inner join customers
        on committed.customer_id = customers.customer_id
),

change_rows as (
    {{ with_dimension_rows('customer_changes') }}
),

final as (
    select
        month,
        months_ahead,
        dimension,
        dimension_value,
        {%- for column in ['current_mrr', 'signed_future_mrr', 'scheduled_increase_mrr',
            'scheduled_churn_mrr', 'scheduled_decrease_mrr', 'committed_mrr'] %}
            cast(sum({{ column }}) as decimal(38, 6)) as {{ column }},
        {%- endfor %}
        cast(sum(case when current_mrr > 0 then 1 else 0 end) as bigint) as current_customers,
        cast(sum(case when committed_mrr > 0 then 1 else 0 end) as bigint)
            as committed_customers
    from change_rows
    group by 1, 2, 3, 4
)

select * from final
