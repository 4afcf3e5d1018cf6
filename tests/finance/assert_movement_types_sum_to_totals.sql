{#-
    The five expansion types sum exactly to expansion_mrr and the five contraction
    types to contraction_mrr, on every customer-month. Returns the rows that do not.
-#}
select
    month,
    customer_id,
    expansion_mrr,
    contraction_mrr
from {{ ref('fct_mrr_movements') }}
where
    {% for change_type in expansion_types() -%}
        {{ change_type }}_mrr {{- ' + ' if not loop.last }}
    {%- endfor %} != expansion_mrr
    or {% for change_type in contraction_types() -%}
        {{ change_type }}_mrr {{- ' + ' if not loop.last }}
    {%- endfor %} != contraction_mrr
