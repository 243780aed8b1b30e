{#- Expressions whose spelling differs between DuckDB and PostgreSQL. Every model uses these, never the
    dialect directly, so the same SQL runs on both (and a new adapter needs only a `<adapter>__` macro). -#}

{#- Median of a numeric expression (an aggregate). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median', 'qamtu')(expression)) }}
{%- endmacro %}

{% macro duckdb__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}


{#- Continuous percentile (0–1) of a numeric expression (an aggregate). -#}
{% macro percentile(expression, fraction) -%}
    {{ return(adapter.dispatch('percentile', 'qamtu')(expression, fraction)) }}
{%- endmacro %}

{% macro duckdb__percentile(expression, fraction) -%}
    quantile_cont({{ expression }}, {{ fraction }})
{%- endmacro %}

{% macro default__percentile(expression, fraction) -%}
    percentile_cont({{ fraction }}) within group (order by {{ expression }})
{%- endmacro %}


{#- Several continuous percentiles (0–1) of one numeric expression in one aggregate, as a list/array
    (index it from 1: `[1]` is the first fraction). One sorted copy of the values serves every fraction,
    where one `percentile` call per fraction keeps a copy each: half the memory for two fractions over
    millions of rows. The figures are those of `percentile` / `median` (same interpolation). -#}
{% macro percentiles(expression, fractions) -%}
    {{ return(adapter.dispatch('percentiles', 'qamtu')(expression, fractions)) }}
{%- endmacro %}

{% macro duckdb__percentiles(expression, fractions) -%}
    quantile_cont({{ expression }}, [{{ fractions | join(', ') }}])
{%- endmacro %}

{% macro default__percentiles(expression, fractions) -%}
    percentile_cont(array[{{ fractions | join(', ') }}]) within group (order by {{ expression }})
{%- endmacro %}


{#- Whole days from one date to a later one. -#}
{% macro days_between(start_date, end_date) -%}
    {{ return(adapter.dispatch('days_between', 'qamtu')(start_date, end_date)) }}
{%- endmacro %}

{% macro duckdb__days_between(start_date, end_date) -%}
    cast(date_diff('day', cast({{ start_date }} as date), cast({{ end_date }} as date)) as bigint)
{%- endmacro %}

{% macro default__days_between(start_date, end_date) -%}
    cast((cast({{ end_date }} as date) - cast({{ start_date }} as date)) as bigint)
{%- endmacro %}


{#- numerator ÷ denominator as a double, null when the denominator is 0 or null. -#}
{% macro safe_divide(numerator, denominator) -%}
    (cast({{ numerator }} as double precision) / nullif(cast({{ denominator }} as double precision), 0))
{%- endmacro %}


{#- numerator ÷ denominator × 100 (shares are percentages 0–100, not rounded). -#}
{% macro share_pct(numerator, denominator) -%}
    (100.0 * {{ safe_divide(numerator, denominator) }})
{%- endmacro %}


{#- Values of a group joined into one text, in a stable order: 'beeline=connected; kcell=planned'. -#}
{% macro text_list(expression, order_by, separator='; ') -%}
    string_agg({{ expression }}, '{{ separator }}' order by {{ order_by }})
{%- endmacro %}
