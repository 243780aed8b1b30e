{#- Per period and city of the 5G target: the largest covered area any operator reports (operators'
    areas overlap: never add them up), the city's share and the sites by operator. Every one of the 20
    cities appears in every period (no report: 0 km² covered). -#}
with

periods as (

    select period from {{ ref('int_periods') }}

),

cities as (

    select kato_code, region_code, name_kk, name_ru, name_en, area_km2
    from {{ ref('int_settlements') }}
    where is_5g_city

),

reports as (

    select * from {{ ref('stg_city_5g') }}

),

deduplicated as (

    {{ last_line_per('reports', ['period', 'operator', 'city_kato']) }}

),

ranked as (

    select
        deduplicated.*,
        row_number() over (
            partition by deduplicated.period, deduplicated.city_kato
            order by deduplicated.covered_area_km2 desc, deduplicated.operator asc
        ) as area_rank
    from deduplicated

),

by_city as (

    select
        period,
        city_kato,
        count(*) as operators_reporting,
        max(covered_area_km2) as largest_covered_area_km2,
        sum(sites_5g) as sites_5g,
        {{ text_list("operator || '=' || cast(sites_5g as text)", 'operator') }} as sites_5g_by_operator
    from deduplicated
    group by period, city_kato

),

largest as (

    select period, city_kato, operator as largest_area_operator
    from ranked
    where area_rank = 1

),

final as (

    select
        ---------- ids
        periods.period,
        cities.kato_code as city_kato,
        cities.region_code,

        ---------- names
        cities.name_kk,
        cities.name_ru,
        cities.name_en,

        ---------- coverage
        cities.area_km2,
        coalesce(by_city.largest_covered_area_km2, 0) as largest_covered_area_km2,
        largest.largest_area_operator,
        {{ share_pct('coalesce(by_city.largest_covered_area_km2, 0)', 'cities.area_km2') }}
            as territory_share_5g,
        coalesce(
            {{ share_pct('coalesce(by_city.largest_covered_area_km2, 0)', 'cities.area_km2') }}
            >= {{ var('city_5g_target_share') }},
            false
        ) as is_at_target,

        ---------- sites
        coalesce(by_city.operators_reporting, 0) as operators_reporting,
        coalesce(by_city.sites_5g, 0) as sites_5g,
        by_city.sites_5g_by_operator

    from periods
    cross join cities
    left join by_city
        on by_city.period = periods.period
        and by_city.city_kato = cities.kato_code
    left join largest
        on largest.period = periods.period
        and largest.city_kato = cities.kato_code

)

select * from final
