{#-
    Warns (does not fail) when raw rows were quarantined: each returned row is one raw
    row left out of the metrics, with the reason. Read them in intermediate.int_quarantined_rows.
-#}
{{ config(severity='warn') }}

select
    source_table,
    row_key,
    customer_id,
    reason
from {{ ref('int_quarantined_rows') }}
