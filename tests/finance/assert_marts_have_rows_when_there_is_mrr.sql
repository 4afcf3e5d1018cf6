{#-
    A finance mart is never silently empty: while a countable subscription item is
    counted at the end of a month on or before the last complete month (of as_of_date),
    fct_mrr_movements, mart_expansion, mart_cohort_retention and mart_saas_kpis must have
    rows, and mart_nrr too when such a month comes before the last one (NRR needs a
    previous month). Stops the build naming the empty mart (fail_with).
-#}
{{ config(severity='error') }}
{%- set last_month = last_complete_month_value() if execute else '2000-01-01' %}
{%- set last_month_end = dbt.last_day("cast('" ~ last_month ~ "' as date)", 'month') %}

with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

month_end_items as (
    {#- Items counted at the end of their first counted month (so at a month end at all;
        counted_from and counted_to carry the trial and churn_recognition policies). -#}
    select
        cast({{ dbt.date_trunc('month', 'counted_from') }} as date) as first_month
    from countable_items
    where
        counted_to is null
        or counted_to > {{ dbt.last_day('counted_from', 'month') }}
),

expected as (
    select
        sum(case when first_month <= {{ last_month_end }} then 1 else 0 end)
            as items_in_a_complete_month,
        sum(case when first_month < cast('{{ last_month }}' as date) then 1 else 0 end)
            as items_before_the_last_month
    from month_end_items
),

mart_rows as (
    {%- for mart in [
        'fct_mrr_movements', 'mart_expansion', 'mart_cohort_retention', 'mart_saas_kpis',
        'mart_nrr'
    ] %}
        select
            '{{ mart }}' as mart_name,
            count(*) as mart_rows
        from {{ ref(mart) }}
        {%- if not loop.last %}
            union all
        {%- endif %}
    {%- endfor %}
),

final as (
    select
        mart_rows.mart_name
        || ' is empty while '
        || cast(expected.items_in_a_complete_month as {{ dbt.type_string() }})
        || ' countable subscription items are active at the end of a month on or before '
        || '{{ last_month }}' as problem
    from mart_rows
    cross join expected
    where
        mart_rows.mart_rows = 0
        and (
            (mart_rows.mart_name != 'mart_nrr' and expected.items_in_a_complete_month > 0)
            or (mart_rows.mart_name = 'mart_nrr' and expected.items_before_the_last_month > 0)
        )
),

{{ stop_on_problems('final') }}
