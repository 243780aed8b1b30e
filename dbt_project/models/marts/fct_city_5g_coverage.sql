{#- Per period and city of the 5G target: the 5G-covered share of the territory (largest area any operator
    reports ÷ city area) and the 5G sites by operator. -#}
with

cities as (

    select * from {{ ref('int_city_5g') }}

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(city_kato as text) as city_kato,
        cast(region_code as text) as region_code,

        ---------- city
        cast(name_kk as text) as name_kk,
        cast(name_ru as text) as name_ru,
        cast(name_en as text) as name_en,
        cast(area_km2 as double precision) as area_km2,

        ---------- coverage
        cast(largest_covered_area_km2 as double precision) as largest_covered_area_km2,
        cast(largest_area_operator as text) as largest_area_operator,
        cast(territory_share_5g as double precision) as territory_share_5g,
        cast(is_at_target as boolean) as is_at_target,

        ---------- sites
        cast(operators_reporting as bigint) as operators_reporting,
        cast(sites_5g as bigint) as sites_5g,
        cast(sites_5g_by_operator as text) as sites_5g_by_operator

    from cities

)

select * from final
