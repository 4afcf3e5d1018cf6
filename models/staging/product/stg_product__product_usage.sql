with

source as (
    select * from {{ source('product', 'product_usage') }}
),

renamed as (
    select
        ---------- ids
        {{ reporting_customer_id('source.customer_id') }} as customer_id,

        ---------- numerics
        cast(source.active_users as bigint) as active_users,
        cast(source.logins as bigint) as logins,
        cast(source.key_actions as bigint) as key_actions,
        cast(source.usage_quantity as double) as usage_quantity,
        cast(source.usage_limit as double) as usage_limit,

        ---------- dates
        cast(source.usage_date as date) as usage_date
    from source
    {{ reporting_accounts_join('source.customer_id') }}
),

final as (
    {#-
        at retention_grain parent, subsidiaries' rows of one day are the parent's usage
        that day: summed, one row per parent and day as at the customer grain
    -#}
    {%- if var('retention_grain') == 'parent' %}
        select
            customer_id,
            sum(active_users) as active_users,
            sum(logins) as logins,
            sum(key_actions) as key_actions,
            sum(usage_quantity) as usage_quantity,
            sum(usage_limit) as usage_limit,
            usage_date
        from renamed
        group by customer_id, usage_date
    {%- else %}
        select * from renamed
    {%- endif %}
)

select * from final
