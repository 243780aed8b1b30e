{#- Per period, per region (first two KATO digits of the settlement) and for the nation ('KZ'): the
    settlement-based headline figures. -#}
with

access as (

    select * from {{ ref('int_settlement_access') }}

),

figures as (

    select
        period, is_rural, has_fibre, is_new_fibre, has_high_speed_internet, has_mobile_broadband,
        population, population_with_access, last_mile_households, last_mile_people,
        region_code as area_code
    from access

),

settlement_rows as (

    select figures.*, figures.area_code as region_code from figures
    union all
    select figures.*, {{ nation_code() }} as region_code from figures

),

final as (

    select
        ---------- ids
        period,
        region_code,

        ---------- settlements
        count(*) as settlements,
        count(*) filter (where is_rural) as rural_settlements,
        count(*) filter (where is_rural and has_fibre) as rural_settlements_with_fibre,
        {{ share_pct('count(*) filter (where is_rural and has_fibre)', 'count(*) filter (where is_rural)') }}
            as villages_fibre_share,
        count(*) filter (where is_rural and is_new_fibre) as villages_fibre_new,
        count(*) filter (where has_high_speed_internet) as settlements_with_access,
        count(*) filter (where has_mobile_broadband) as settlements_with_mobile_broadband,

        ---------- population
        sum(population) as population,
        sum(population_with_access) as population_with_access,
        {{ share_pct('sum(population_with_access)', 'sum(population)') }} as population_access_share,

        ---------- last mile
        sum(last_mile_households) as households_last_mile,
        sum(last_mile_people) as people_last_mile

    from settlement_rows
    group by period, region_code

)

select * from final
