{#-
    Every customer's ultimate_parent_id is a top account (one without a parent): a
    hierarchy deeper than the 10 levels stg_billing__customer_accounts walks, or a cycle
    that reached the models without the loader (a connector schema), fails the build
    here instead of counting a customer at a middle account. Rows returned = customers
    whose walk stopped short.
-#}
with

customer_accounts as (
    select * from {{ ref('stg_billing__customer_accounts') }}
),

final as (
    select
        customer_accounts.customer_id,
        customer_accounts.ultimate_parent_id,
        tops.parent_customer_id as parent_of_ultimate_parent
    from customer_accounts
    inner join customer_accounts as tops
        on customer_accounts.ultimate_parent_id = tops.customer_id
    where tops.parent_customer_id is not null
)

select * from final
