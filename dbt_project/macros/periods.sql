{#- Month arithmetic on periods written 'YYYY-MM' (text): the same on every engine, no date functions
    that differ between dialects. A period's index counts months since year 0 (2026-01 → 24312). -#}

{% macro period_index(period) -%}
    (cast(substr({{ period }}, 1, 4) as integer) * 12 + cast(substr({{ period }}, 6, 2) as integer) - 1)
{%- endmacro %}

{#- The period of a month index, back as 'YYYY-MM'. -#}
{% macro period_from_index(month_index) -%}
    (lpad(cast(cast(floor(({{ month_index }}) / 12.0) as bigint) as text), 4, '0')
     || '-' ||
     lpad(cast(cast(({{ month_index }}) - 12 * floor(({{ month_index }}) / 12.0) as bigint) + 1 as text), 2, '0'))
{%- endmacro %}

{#- The period of a date ('YYYY-MM'). -#}
{% macro period_of_date(date_expression) -%}
    (lpad(cast(cast(extract(year from cast({{ date_expression }} as date)) as bigint) as text), 4, '0')
     || '-' ||
     lpad(cast(cast(extract(month from cast({{ date_expression }} as date)) as integer) as text), 2, '0'))
{%- endmacro %}

{% macro period_start(period) -%}
    cast({{ period }} || '-01' as date)
{%- endmacro %}

{#- The last day of the month: status reports describe the state at this date. -#}
{% macro period_end(period) -%}
    cast(cast({{ period }} || '-01' as date) + interval '1 month' - interval '1 day' as date)
{%- endmacro %}

{#- Months from period a to period b (b − a). -#}
{% macro months_between(period_a, period_b) -%}
    ({{ period_index(period_b) }} - {{ period_index(period_a) }})
{%- endmacro %}
