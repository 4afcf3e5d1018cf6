{#-
    Per segment, industry and region, month to month: the ending MRR of the month
    before + MRR moved in - MRR moved out (mart_segment_moves) = the starting MRR of the
    month (mart_expansion). Without attribute history nothing moves and this is the plain
    month-to-month identity. Returns the months and values where it does not hold.
-#}
with

expansion as (
    select * from {{ ref('mart_expansion') }}
    where dimension != 'all'
),

segment_moves as (
    select * from {{ ref('mart_segment_moves') }}
),

month_range as (
    select
        min(month) as first_month,
        max(month) as last_month
    from expansion
),

moved_in as (
    select
        month,
        dimension,
        to_value as dimension_value,
        sum(moved_mrr) as moved_mrr
    from segment_moves
    group by 1, 2, 3
),

moved_out as (
    select
        month,
        dimension,
        from_value as dimension_value,
        sum(moved_mrr) as moved_mrr
    from segment_moves
    group by 1, 2, 3
),

balances as (
    {#- every value with a row in the month or the month before -#}
    select
        month,
        dimension,
        dimension_value,
        starting_mrr,
        cast(0 as decimal(38, 6)) as previous_ending_mrr
    from expansion
    union all
    select
        cast({{ dbt.dateadd('month', 1, 'month') }} as date) as month,
        dimension,
        dimension_value,
        cast(0 as decimal(38, 6)) as starting_mrr,
        ending_mrr as previous_ending_mrr
    from expansion
),

compared as (
    select
        balances.month,
        balances.dimension,
        balances.dimension_value,
        sum(balances.starting_mrr) as starting_mrr,
        sum(balances.previous_ending_mrr) as previous_ending_mrr
    from balances
    cross join month_range
    where balances.month <= month_range.last_month
    group by 1, 2, 3
),

final as (
    select
        compared.*,
        coalesce(moved_in.moved_mrr, 0) as moved_in_mrr,
        coalesce(moved_out.moved_mrr, 0) as moved_out_mrr
    from compared
    left join moved_in
        on
            compared.month = moved_in.month
            and compared.dimension = moved_in.dimension
            and compared.dimension_value = moved_in.dimension_value
    left join moved_out
        on
            compared.month = moved_out.month
            and compared.dimension = moved_out.dimension
            and compared.dimension_value = moved_out.dimension_value
    cross join month_range
    where
        compared.month > month_range.first_month
        and compared.previous_ending_mrr + coalesce(moved_in.moved_mrr, 0)
        - coalesce(moved_out.moved_mrr, 0) != compared.starting_mrr
)

select * from final
