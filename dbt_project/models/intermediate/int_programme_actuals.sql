{#- The headline indicators (codes of MISSION.md), one row per period, area ('KZ' = the nation) and
    indicator: the actual values that fct_programme_progress sets against the targets. -#}
with

regions as (

    select * from {{ ref('int_region_coverage') }}

),

roads as (

    select * from {{ ref('int_road_coverage') }}

),

cities as (

    select * from {{ ref('int_city_5g') }}

),

support as (

    select * from {{ ref('int_akimat_support') }}

),

enforcement as (

    select * from {{ ref('int_quality_enforcement') }} where operator = 'all'

),

settlement_indicators as (

    {%- set settlement_indicators = ['villages_fibre_new', 'villages_fibre_share', 'population_access_share',
                                     'households_last_mile', 'people_last_mile'] %}
    {%- for indicator in settlement_indicators %}
    select
        period,
        region_code,
        '{{ indicator }}' as indicator,
        cast({{ indicator }} as double precision) as actual
    from regions
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

road_indicators as (

    select
        period,
        {{ nation_code() }} as region_code,
        'road_km_covered' as indicator,
        cast(sum(covered_km) as double precision) as actual
    from roads
    where road_category in ('republican', 'regional')
    group by period

),

city_indicators as (

    select
        period,
        {{ nation_code() }} as region_code,
        'city_5g_territory_share' as indicator,
        {{ share_pct('sum(largest_covered_area_km2)', 'sum(area_km2)') }} as actual
    from cities
    group by period

    union all

    select
        period,
        {{ nation_code() }} as region_code,
        'cities_5g_at_target' as indicator,
        cast(count(*) filter (where is_at_target) as double precision) as actual
    from cities
    group by period

),

akimat_indicators as (

    select
        period,
        region_code,
        'land_requests_decided_share' as indicator,
        cast(land_requests_decided_share as double precision) as actual
    from support

    union all

    select
        period,
        region_code,
        'fines_kzt' as indicator,
        cast(fines_kzt as double precision) as actual
    from enforcement

),

final as (

    select * from settlement_indicators
    union all
    select * from road_indicators
    union all
    select * from city_indicators
    union all
    select * from akimat_indicators

)

select * from final
