{#-
    The first month an incremental run of the health chain recomputes (one row), from what
    the loads since the last completed refresh changed (int_pending_changes). A row dated
    D can change only evaluations on or after D; at retention_grain parent the customers
    table says whose evaluation a row counts in. Definitions in _refresh__models.yml.
-#}
{%- set every_month = [
    ('pending.previous_last_month is null', 'no completed refresh'),
    ('true' if flags.FULL_REFRESH else 'false', 'full refresh'),
    ("pending.previous_refresh_vars != '" ~ refresh_vars() ~ "'", 'settings changed'),
    ("'" ~ var('billing_source') ~ "' != 'contract' or '" ~ var('crm_source')
        ~ "' != 'contract'", 'data from a connector'),
    ('pending.last_month < pending.previous_last_month', 'as_of_date moved back'),
    ("'" ~ var('retention_grain') ~ "' = 'parent' and pending.customers_changed > 0",
        'account hierarchy may have changed (retention_grain parent)'),
] %}

with

pending_changes as (
    select * from {{ ref('int_pending_changes') }}
),

dated as (
    select
        *,
        {#-
            A row dated after the last month's end (and on or before as_of_date) reaches
            that month's evaluation on as_of_date: never later than the last month.
        -#}
        least(
            coalesce(items_changed_from, cast('9999-12-01' as date)),
            coalesce(customers_added_from, cast('9999-12-01' as date)),
            coalesce(health_inputs_changed_from, cast('9999-12-01' as date)),
            case
                when has_fx_changes
                    then coalesce(fx_items_first_counted_month, cast('9999-12-01' as date))
                else cast('9999-12-01' as date)
            end
        ) as dated_changes_from
    from pending_changes
),

pending as (
    select
        *,
        case
            when dated_changes_from < cast('9999-12-01' as date)
                then least(dated_changes_from, last_month)
            else dated_changes_from
        end as changed_from
    from dated
),

final as (
    select
        case
            {%- for condition, _ in every_month %}
                when {{ condition }} then cast('1900-01-01' as date)
            {%- endfor %}
            {#- The last month's evaluations hold one on as_of_date (is_current). -#}
            when pending.previous_as_of_date != {{ as_of_date() }}
                then least(pending.changed_from, pending.previous_last_month)
            else pending.changed_from
        end as recompute_from_month,
        case
            {%- for condition, reason in every_month %}
                when {{ condition }} then '{{ reason }}: every month'
            {%- endfor %}
            when pending.changed_from < cast('9999-12-01' as date)
                then 'inputs changed'
            when pending.previous_as_of_date != {{ as_of_date() }}
                then 'as_of_date moved forward: from the last month built'
            else 'nothing changed'
        end as reason
    from pending
)

select * from final
