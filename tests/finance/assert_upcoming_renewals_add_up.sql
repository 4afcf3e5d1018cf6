{#-
    For every coming month, the customers' ARR up for renewal (mart_upcoming_renewals)
    adds up to mart_renewals' total, and so does its split by health status. Returns the
    months where either does not.
-#}
with

upcoming_renewals as (
    select * from {{ ref('mart_upcoming_renewals') }}
),

renewals as (
    select * from {{ ref('mart_renewals') }}
    where dimension = 'all' and is_upcoming
),

per_month as (
    select
        month,
        sum(available_to_renew_arr) as available_to_renew_arr,
        sum(
            case when health_status = 'red' then available_to_renew_arr else 0 end
        ) as red_arr
    from upcoming_renewals
    group by 1
),

final as (
    select
        renewals.month,
        renewals.available_to_renew_arr,
        per_month.available_to_renew_arr as customers_arr
    from renewals
    full outer join per_month
        on renewals.month = per_month.month
    where
        coalesce(renewals.available_to_renew_arr, 0)
        != coalesce(per_month.available_to_renew_arr, 0)
        or coalesce(renewals.upcoming_red_arr, 0) != coalesce(per_month.red_arr, 0)
)

select * from final
