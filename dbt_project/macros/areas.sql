{#- The area code of the whole country in every mart (region rows carry the region's KATO code). -#}
{% macro nation_code() %}'{{ var("nation_code") }}'{% endmacro %}
