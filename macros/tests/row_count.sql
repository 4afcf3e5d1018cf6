{#-
    Generic test: the model has exactly `expected` rows (a model of one row by definition,
    such as a refresh window, has no key to test; its row count is its grain).
-#}
{% test row_count(model, expected=1) %}
    select count(*) as row_count
    from {{ model }}
    having count(*) != {{ expected }}
{% endtest %}
