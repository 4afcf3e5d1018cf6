{#-
    What today's ARR becomes over the next years at the latest trailing-twelve-month NRR,
    with no new customers (120% NRR compounds $1M to $1.2M, $1.44M, $1.728M). Compile
    with `dbt compile --select nrr_compounding` and run the SQL in target/compiled.
-#}
with

nrr as (
    select * from {{ ref('mart_nrr') }}
    where
        window_months = 12
        and dimension = 'all'
),

latest as (
    select
        month,
        ending_arr,
        nrr_pct
    from nrr
    order by 1 desc
    limit 1
),

years as (
    select cast(generated_number as integer) as years_ahead
    from ({{ dbt.generate_series(5) }}) as series
),

final as (
    select
        years.years_ahead,
        latest.nrr_pct,
        cast(latest.ending_arr as double) * power(latest.nrr_pct / 100, years.years_ahead)
            as projected_arr
    from latest
    cross join years
)

select * from final
