{#- Schemas are exactly `staging`, `intermediate` and the marts schema: no target-schema prefix, so
    statisticians find the same names on every warehouse. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
