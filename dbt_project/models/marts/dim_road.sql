with

roads as (

    select * from {{ ref('stg_reference_roads') }}

),

final as (

    select
        ---------- ids
        cast(road_code as text) as road_code,

        ---------- attributes
        cast(road_name as text) as road_name,
        cast(road_category as text) as road_category,
        cast(region_codes as text) as region_codes,

        ---------- numerics
        cast(length_km as double precision) as length_km,
        cast(length(region_codes) - length(replace(region_codes, ';', '')) + 1 as bigint) as regions_crossed

    from roads

)

select * from final
