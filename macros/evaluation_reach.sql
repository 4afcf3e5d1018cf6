{#-
    Body of a CTE: for each row of the CTE `evaluation_dates` (month, evaluation_date D),
    every date a signal row can have to count for D when its window is `days` long
    (D - days + 1 .. D), as signal_date. The health signal families equi-join their dated
    rows on it instead of range-joining every row to every evaluation.
-#}
{% macro evaluation_reach(evaluation_dates, days) -%}
    select
        {{ evaluation_dates }}.month,
        {{ evaluation_dates }}.evaluation_date,
        cast({{ dbt.dateadd(
            'day',
            '1 - cast(window_days.generated_number as integer)',
            evaluation_dates ~ '.evaluation_date'
        ) }} as date) as signal_date
    from {{ evaluation_dates }}
    cross join ({{ dbt.generate_series([days, 1] | max) }}) as window_days
{%- endmacro %}
