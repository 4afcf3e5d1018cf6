{#-
    The 0-100 health score: a weighted average of the components that have data (a
    component without data is left out and the remaining weights rescale, as Gainsight
    does with unscored measures). No component at all: no score, status unknown.
    Incremental: a refresh recomputes only the months from int_health_refresh_window on.
-#}
{%- set recompute_from = '(select recompute_from_month from '
    ~ ref('int_health_refresh_window') ~ ')' %}
{%- set components = ['usage', 'support', 'payments', 'relationship', 'renewal'] %}
with

signals as (
    select * from {{ ref('int_customer_health_signals') }}
    {%- if is_incremental() %}
        where month >= {{ recompute_from }}
    {%- endif %}
),

component_scores as (
    select
        *,
        {#- usage: 100 less the larger fall of active users and key actions, in points. -#}
        case
            when active_users_change_pct is not null or key_actions_change_pct is not null
                then greatest(0, least(100, 100 + least(
                    coalesce(active_users_change_pct, key_actions_change_pct),
                    coalesce(key_actions_change_pct, active_users_change_pct)
                )))
        end as usage_score_raw,
        {#-
            support: -25 per open high-priority ticket, -10 per recent ticket above the
            usual rate.
        -#}
        case
            when has_support_data
                then greatest(
                    0,
                    100
                    - 25 * high_priority_open_tickets
                    - 10 * greatest(
                        0, recent_tickets - coalesce(baseline_tickets_per_recent_period, 0)
                    )
                )
        end as support_score_raw,
        {#- payments: -50 per failed or overdue invoice in the payment window. -#}
        case
            when has_payment_data then greatest(0, 100 - 50 * recent_payment_failures)
        end as payments_score_raw,
        {#- relationship: latest NPS x 10 (100 without one), -30 sponsor change, -30 QBR missed. -#}
        case
            when has_relationship_data
                then greatest(
                    0, coalesce(10 * latest_nps_score, 100)
                    - case when has_exec_sponsor_change then 30 else 0 end
                    - case when has_missed_qbr then 30 else 0 end
                )
        end as relationship_score_raw,
        {#- renewal: full marks beyond the renewal window, falling to 0 on the renewal day. -#}
        case
            when days_to_renewal is not null
                then
                    cast(100 as double) * least(days_to_renewal, {{ var('health_renewal_days') }})
                    / {{ var('health_renewal_days') }}
        end as renewal_score_raw
    from signals
),

typed_scores as (
    select
        *,
    {%- for component in components %}
        cast({{ component }}_score_raw as double) as {{ component }}_score
        {{ ',' if not loop.last }}
    {%- endfor %}
    from component_scores
),

weighted as (
    select
        *,
        {%- for component in components %}
            case
                when {{ component }}_score is not null
                    then {{ var('health_weight_' ~ component) }}
                else 0
            end as {{ component }}_weight,
        {%- endfor %}
        concat_ws(
            ',',
            {%- for component in components %}
                case when {{ component }}_score is not null then '{{ component }}' end
                {{- ',' if not loop.last }}
            {%- endfor %}
        ) as components_present
    from typed_scores
),

scored as (
    select
        *,
        (
            {%- for component in components %}
                coalesce({{ component }}_score, 0) * {{ component }}_weight
                {{- ' +' if not loop.last }}
            {%- endfor %}
        ) / nullif(
            {%- for component in components %}
                {{ component }}_weight {{- ' +' if not loop.last }}
            {%- endfor %}, 0
        ) as health_score
    from weighted
),

final as (
    select
        *,
        case
            when health_score is null then 'unknown'
            when health_score >= {{ var('health_green_min_score') }} then 'green'
            when health_score >= {{ var('health_yellow_min_score') }} then 'yellow'
            else 'red'
        end as health_status,
        key_actions_change_pct <= -{{ var('health_usage_decline_pct') }}
        or active_users_change_pct <= -{{ var('health_usage_decline_pct') }}
            as is_usage_declining,
        latest_nps_score <= 6 as is_nps_detractor,
        usage_limit_utilization_pct >= {{ var('health_upgrade_prompt_pct') }}
            as has_upgrade_prompt
    from scored
)

select * from final
