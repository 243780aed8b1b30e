{#- Verdict counts of the period's claims (fct_claim_statistics): each row's verdicts against its claims,
    and the country's rows against the sums over the regions, one row per (region, operator, figure). -#}
{%- set figures = ['claims', 'claims_confirmed', 'claims_contradicted', 'claims_disputed',
    'claims_unverified'] -%}
with

statistics as (

    select * from {{ schema }}.fct_claim_statistics
    where period = '{{ period }}'

),

region_sums as (

    select
        operator,
        {%- for figure in figures %}
        sum({{ figure }}) as {{ figure }}{{ "," if not loop.last }}{% endfor %}
    from statistics
    where region_code <> 'KZ'
    group by operator

),

final as (

    {%- for figure in figures %}
    select
        statistics.period,
        statistics.region_code,
        statistics.operator,
        cast('{{ figure }}' as text) as figure_name,
        statistics.claims,
        cast(
            statistics.claims_confirmed + statistics.claims_contradicted + statistics.claims_disputed
            + statistics.claims_unverified - statistics.claims as bigint
        ) as verdicts_minus_claims,
        cast(
            case
                when statistics.region_code = 'KZ'
                    then statistics.{{ figure }} - coalesce(region_sums.{{ figure }}, 0)
                else 0
            end as bigint
        ) as country_minus_regions
    from statistics
    left join region_sums
        on region_sums.operator = statistics.operator
    {{ "union all" if not loop.last }}
    {%- endfor %}

)

select * from final
