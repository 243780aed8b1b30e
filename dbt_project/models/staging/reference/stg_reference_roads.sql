with

source as (

    select * from {{ source('reference', 'roads') }}

),

renamed as (

    select
        ---------- ids
        cast(road_code as text) as road_code,

        ---------- attributes
        cast(name as text) as road_name,
        cast(category as text) as road_category,
        cast(region_codes as text) as region_codes,

        ---------- numerics
        cast(length_km as double precision) as length_km

    from source

)

select * from renamed
