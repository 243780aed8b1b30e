with

source as (

    select * from {{ source('reference', 'kato') }}

),

renamed as (

    select
        ---------- ids
        cast(kato_code as text) as kato_code,
        cast(parent_code as text) as parent_code,
        cast(region_code as text) as region_code,

        ---------- attributes
        cast(level as text) as kato_level,
        cast(name_kk as text) as name_kk,
        cast(name_ru as text) as name_ru,
        cast(name_en as text) as name_en,
        cast(settlement_type as text) as settlement_type,
        cast(is_rural as boolean) as is_rural,
        cast(is_5g_city as boolean) as is_5g_city,

        ---------- numerics
        cast(population as bigint) as population,
        cast(households as bigint) as households,
        cast(area_km2 as double precision) as area_km2

    from source

)

select * from renamed
