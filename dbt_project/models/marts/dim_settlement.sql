with

settlements as (

    select * from {{ ref('int_settlements') }}

),

final as (

    select
        ---------- ids
        cast(kato_code as text) as kato_code,
        cast(region_code as text) as region_code,
        cast(district_code as text) as district_code,
        cast(rural_district_code as text) as rural_district_code,

        ---------- names
        cast(name_kk as text) as name_kk,
        cast(name_ru as text) as name_ru,
        cast(name_en as text) as name_en,

        ---------- attributes
        cast(settlement_type as text) as settlement_type,
        cast(is_rural as boolean) as is_rural,
        cast(is_5g_city as boolean) as is_5g_city,

        ---------- numerics
        cast(population as bigint) as population,
        cast(households as bigint) as households,
        cast(persons_per_household as double precision) as persons_per_household,
        cast(area_km2 as double precision) as area_km2

    from settlements

)

select * from final
