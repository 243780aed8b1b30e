{#- Per period, per region and for the nation ('KZ'): rural settlements with fibre, the population with
    high-speed internet, and the "last mile" households and people. -#}
with

coverage as (

    select * from {{ ref('int_region_coverage') }}

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(region_code as text) as region_code,

        ---------- settlements
        cast(settlements as bigint) as settlements,
        cast(rural_settlements as bigint) as rural_settlements,
        cast(rural_settlements_with_fibre as bigint) as rural_settlements_with_fibre,
        cast(villages_fibre_share as double precision) as villages_fibre_share,
        cast(villages_fibre_new as bigint) as villages_fibre_new,
        cast(settlements_with_access as bigint) as settlements_with_access,
        cast(settlements_with_mobile_broadband as bigint) as settlements_with_mobile_broadband,

        ---------- population
        cast(population as bigint) as population,
        cast(population_with_access as bigint) as population_with_access,
        cast(population_access_share as double precision) as population_access_share,

        ---------- last mile
        cast(households_last_mile as bigint) as households_last_mile,
        cast(people_last_mile as double precision) as people_last_mile

    from coverage

)

select * from final
