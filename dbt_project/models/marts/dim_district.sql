with

districts as (

    select * from {{ ref('stg_reference_kato') }} where kato_level = 'district'

),

settlements as (

    select * from {{ ref('int_settlements') }}

),

by_district as (

    select
        district_code,
        count(*) as settlements,
        count(*) filter (where is_rural) as rural_settlements,
        sum(population) as population,
        sum(households) as households
    from settlements
    group by district_code

),

final as (

    select
        ---------- ids
        cast(districts.kato_code as text) as district_code,
        cast(districts.region_code as text) as region_code,

        ---------- names
        cast(districts.name_kk as text) as name_kk,
        cast(districts.name_ru as text) as name_ru,
        cast(districts.name_en as text) as name_en,

        ---------- counts
        cast(coalesce(by_district.settlements, 0) as bigint) as settlements,
        cast(coalesce(by_district.rural_settlements, 0) as bigint) as rural_settlements,
        cast(coalesce(by_district.population, 0) as bigint) as population,
        cast(coalesce(by_district.households, 0) as bigint) as households

    from districts
    left join by_district
        on by_district.district_code = districts.kato_code

)

select * from final
