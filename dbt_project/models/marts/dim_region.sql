with

kato as (

    select * from {{ ref('stg_reference_kato') }}

),

regions as (

    select * from kato where kato_level = 'region'

),

settlements as (

    select * from {{ ref('int_settlements') }}

),

by_region as (

    select
        region_code,
        count(*) as settlements,
        count(*) filter (where is_rural) as rural_settlements,
        count(*) filter (where is_5g_city) as cities_5g,
        sum(population) as population,
        sum(households) as households
    from settlements
    group by region_code

),

districts as (

    select region_code, count(*) as districts from kato where kato_level = 'district' group by region_code

),

final as (

    select
        ---------- ids
        cast(regions.region_code as text) as region_code,
        cast(regions.kato_code as text) as kato_code,

        ---------- names
        cast(regions.name_kk as text) as name_kk,
        cast(regions.name_ru as text) as name_ru,
        cast(regions.name_en as text) as name_en,

        ---------- counts
        cast(coalesce(districts.districts, 0) as bigint) as districts,
        cast(coalesce(by_region.settlements, 0) as bigint) as settlements,
        cast(coalesce(by_region.rural_settlements, 0) as bigint) as rural_settlements,
        cast(coalesce(by_region.cities_5g, 0) as bigint) as cities_5g,
        cast(coalesce(by_region.population, 0) as bigint) as population,
        cast(coalesce(by_region.households, 0) as bigint) as households

    from regions
    left join by_region
        on by_region.region_code = regions.region_code
    left join districts
        on districts.region_code = regions.region_code

)

select * from final
