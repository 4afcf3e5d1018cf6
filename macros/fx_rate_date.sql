{#-
    The date constant-currency rates are taken on or before (int_constant_currency_rates),
    per the var fx_rate_policy: latest = as_of_date, fixed = fx_rate_date. historical also
    takes as_of_date here (the rate of the quarantine and of opportunities);
    int_customer_product_months converts each month's MRR at that month's rate
    (int_fx_monthly_rates). A further policy is one more branch here or there.
-#}
{% macro fx_rate_date() -%}
    {%- if var('fx_rate_policy') == 'fixed' -%}
        cast('{{ var("fx_rate_date") }}' as date)
    {%- else -%}
        {{ as_of_date() }}
    {%- endif -%}
{%- endmacro %}
