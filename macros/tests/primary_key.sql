{#-
    Generic test: the given columns are the model's key. It returns each key value that
    repeats, and each key with a null in a column not named in `nullable` (a key column
    that is null by definition in some rows, such as mart_restatements.window_months
    outside mart_nrr). One grouped scan instead of a uniqueness test plus one not_null
    test per key column: every model has exactly one key test, and a composite key
    cannot let a null through.
-#}
{% test primary_key(model, columns, nullable=[]) %}
    select
        {{ columns | join(', ') }},
        count(*) as occurrences
    from {{ model }}
    group by {{ columns | join(', ') }}
    having
        count(*) > 1
        {%- for column in columns if column not in nullable %}
            or {{ column }} is null
        {%- endfor %}
{% endtest %}
