{#-
    The reporting date as a SQL date literal: the `as_of_date` var, else
    $EXPANSION_METRICS_AS_OF_DATE, else the day the run started.
-#}
{% macro as_of_date() -%}
    cast('{{ as_of_date_value() }}' as date)
{%- endmacro %}

{#-
    The configured reporting date and where it comes from: [value, source]; source ''
    when nothing is configured and the value is the day the run started.
-#}
{% macro as_of_date_setting() -%}
    {%- set configured = var('as_of_date', '') | string -%}
    {%- if configured -%}
        {{- return([configured, 'as_of_date']) -}}
    {%- endif -%}
    {%- set from_environment = env_var('EXPANSION_METRICS_AS_OF_DATE', '') | string -%}
    {%- if from_environment -%}
        {{- return([from_environment, 'as_of_date ($EXPANSION_METRICS_AS_OF_DATE)']) -}}
    {%- endif -%}
    {{- return([run_started_at.strftime('%Y-%m-%d'), '']) -}}
{%- endmacro %}

{#-
    The one check of as_of_date: what is wrong with the configured value, or '' (the day
    the run started is never wrong). A real ISO date from earliest_date to one year (366
    days) after the day the run starts. validate_configuration reports it with every
    other problem before anything runs; as_of_date_value() refuses to hand out a value
    that fails it.
-#}
{% macro as_of_date_problem() -%}
    {%- set value, source = as_of_date_setting() -%}
    {%- set earliest = var('earliest_date') | string -%}
    {%- set latest = (run_started_at + modules.datetime.timedelta(days=366)).strftime('%Y-%m-%d') -%}
    {%- if not source -%}
        {{- return('') -}}
    {%- elif not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{- return(source ~ " must be a date like 2026-10-31, got '" ~ value ~ "'") -}}
    {%- elif is_real_date(earliest) and value < earliest -%}
        {{- return(source ~ " " ~ value ~ " is before earliest_date " ~ earliest
            ~ ": no plausible data is that old (lower earliest_date if it really is)") -}}
    {%- elif not is_real_date(value) -%}
        {{- return(source ~ " is not a real date: '" ~ value ~ "'") -}}
    {%- elif value > latest -%}
        {{- return(source ~ " " ~ value ~ " is more than a year after today ("
            ~ run_started_at.strftime('%Y-%m-%d') ~ "): latest allowed " ~ latest) -}}
    {%- endif -%}
    {{- return('') -}}
{%- endmacro %}

{#-
    The reporting date as text, YYYY-MM-DD. A value failing as_of_date_problem() stops
    a run that executes anything; at parse time, before validate_configuration can
    report it with the other problems, a placeholder keeps the parse going (and the
    value out of any SQL).
-#}
{% macro as_of_date_value() -%}
    {%- set problem = as_of_date_problem() -%}
    {%- if problem and execute -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- elif problem -%}
        {{- return('1900-01-01') -}}
    {%- endif -%}
    {{- return(as_of_date_setting()[0]) -}}
{%- endmacro %}

{#-
    The first day of the last complete month: the last month whose last day is on or
    before as_of_date, as text. Every reporting month ends here.
-#}
{% macro last_complete_month_value() -%}
    {%- set value = as_of_date_value() -%}
    {%- set year, month, day = value.split('-') | map('int') | list -%}
    {%- set leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0 -%}
    {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
    {%- set month_index = year * 12 + month - 1 - (0 if day >= month_days[month - 1] else 1) -%}
    {{- return('%04d-%02d-01' | format(month_index // 12, month_index % 12 + 1)) -}}
{%- endmacro %}

{#- Months from month `first` (YYYY-MM-..) to month `last`, both counted. -#}
{% macro months_between_values(first, last) -%}
    {%- set a = first.split('-') | map('int') | list -%}
    {%- set b = last.split('-') | map('int') | list -%}
    {{- return((b[0] * 12 + b[1]) - (a[0] * 12 + a[1]) + 1) -}}
{%- endmacro %}
