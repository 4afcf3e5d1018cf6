{#-
    The first month an incremental run of the MRR chain recomputes (one row), from what
    the loads since the last completed refresh changed (int_pending_changes). Definitions
    in _refresh__models.yml.
-#}
{%- set every_month = [
    ('pending.previous_last_month is null', 'no completed refresh'),
    ('true' if flags.FULL_REFRESH else 'false', 'full refresh'),
    ("pending.previous_refresh_vars != '" ~ refresh_vars() ~ "'", 'settings changed'),
    ("'" ~ var('billing_source') ~ "' != 'contract'", 'billing data from a connector'),
    ('pending.last_month < pending.previous_last_month', 'as_of_date moved back'),
    ('pending.customers_changed > 0', 'customer attributes changed'),
    ("'" ~ var('past_due_churn_days') ~ "' != ''", 'past_due_churn_days set'),
] %}

with

pending_changes as (
    select * from {{ ref('int_pending_changes') }}
),

pending as (
    select
        *,
        case when has_fx_changes then fx_items_first_month end as fx_changed_from
    from pending_changes
),

final as (
    select
        case
            {%- for condition, _ in every_month %}
                when {{ condition }} then cast('1900-01-01' as date)
            {%- endfor %}
            else least(
                coalesce(pending.items_changed_from, pending.previous_next_month),
                coalesce(pending.customers_added_from, pending.previous_next_month),
                coalesce(pending.fx_changed_from, pending.previous_next_month),
                pending.previous_next_month
            )
        end as recompute_from_month,
        case
            {%- for condition, reason in every_month %}
                when {{ condition }} then '{{ reason }}: every month'
            {%- endfor %}
            when pending.items_changed_from < pending.previous_next_month
                then 'subscription items changed'
            when pending.fx_changed_from < pending.previous_next_month
                then 'fx rates changed'
            when pending.customers_added_from < pending.previous_next_month
                then 'customers added'
            else 'new months only'
        end as reason
    from pending
)

select * from final
