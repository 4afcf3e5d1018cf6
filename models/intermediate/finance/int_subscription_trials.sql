{#-
    One row per subscription item with a free trial (trial_end after valid_from): when it
    started, the month its trial is decided in and whether it converted. Definitions in
    _finance__models.yml.
-#}
with

countable_items as (
    select * from {{ ref('int_countable_subscription_items') }}
),

trials as (
    select
        subscription_item_id,
        customer_id,
        valid_from as trial_start,
        trial_end,
        counted_to,
        cast({{ dbt.date_trunc('month', 'valid_from') }} as date) as start_month,
        cast({{ dbt.date_trunc('month', 'trial_end') }} as date) as decision_month,
        cast({{ dbt.last_day('trial_end', 'month') }} as date) as decision_month_end
    from countable_items
    where trial_end > valid_from
),

final as (
    select
        subscription_item_id,
        customer_id,
        trial_start,
        trial_end,
        start_month,
        decision_month,
        {#- still counted at the first month end on or after trial_end -#}
        coalesce(counted_to > decision_month_end, true) as is_converted
    from trials
)

select * from final
