{#-
    The dates pipeline is looked at, and the fiscal quarter each look is for:
    quarter_start: the first day of every quarter that has a target (up to as_of_date),
    for that quarter; current: as_of_date, for the current and the next quarter.
-#}
with

targets as (
    select * from {{ ref('stg_crm__expansion_targets') }}
),

{%- set start = fiscal_year_start_month() %}

target_quarters as (
    select distinct
        fiscal_quarter,
        {#- Fiscal year Y starts in month `start` of Y-1 (of Y for calendar years). -#}
        cast(
            {{ dbt.dateadd(
                'month',
                '(cast(substring(fiscal_quarter, 1, 4) as integer) - '
                ~ (2001 if start != 1 else 2000) ~ ') * 12 + '
                ~ (start - 1) ~ ' + 3 * (cast(substring(fiscal_quarter, 7, 1) as integer) - 1)',
                "cast('2000-01-01' as date)"
            ) }} as date
        ) as quarter_start_date
    from targets
),

quarter_start_snapshots as (
    select
        quarter_start_date as snapshot_date,
        'quarter_start' as snapshot_kind,
        fiscal_quarter,
        quarter_start_date
    from target_quarters
    where quarter_start_date <= {{ as_of_date() }}
),

current_quarter as (
    select {{ fiscal_quarter_start(as_of_date()) }} as quarter_start_date
),

current_snapshots as (
    select
        {{ as_of_date() }} as snapshot_date,
        'current' as snapshot_kind,
        {{ fiscal_quarter('quarter_start_date') }} as fiscal_quarter,
        quarter_start_date
    from current_quarter

    union all

    select
        {{ as_of_date() }} as snapshot_date,
        'current' as snapshot_kind,
        {{ fiscal_quarter(
            'cast(' ~ dbt.dateadd('month', 3, 'quarter_start_date') ~ ' as date)'
        ) }} as fiscal_quarter,
        cast(
            {{ dbt.dateadd('month', 3, 'quarter_start_date') }} as date
        ) as quarter_start_date
    from current_quarter
),

all_snapshots as (
    select * from quarter_start_snapshots
    union all
    select * from current_snapshots
),

final as (
    select
        snapshot_date,
        snapshot_kind,
        fiscal_quarter,
        quarter_start_date,
        cast(
            {{ dbt.dateadd('day', -1, dbt.dateadd('month', 3, 'quarter_start_date')) }}
            as date
        ) as quarter_end_date
    from all_snapshots
)

select * from final
