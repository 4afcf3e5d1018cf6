{#-
    How every enumeration is normalised in staging: trimmed, lower case, spaces and
    hyphens as underscores ('Closed Won' -> 'closed_won'). The loader accepts a value
    when this normalisation gives one of the contract's values.
-#}
{% macro normalise_enum(column) -%}
    replace(replace(lower(trim({{ column }})), '-', '_'), ' ', '_')
{%- endmacro %}
