{#- Per period and road of the register: kilometres with mobile coverage, overlaps counted once. -#}
with

roads as (

    select * from {{ ref('int_road_coverage') }}

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(road_code as text) as road_code,

        ---------- road
        cast(road_name as text) as road_name,
        cast(road_category as text) as road_category,
        cast(region_codes as text) as region_codes,
        cast(length_km as double precision) as length_km,

        ---------- coverage
        cast(covered_km as double precision) as covered_km,
        cast(covered_share as double precision) as covered_share,
        -- Differences of sums of doubles: rounded to the micrometre so that exact equality does not
        -- come out as -2.8e-14 and fail the non-negative tests.
        cast(cast(length_km - covered_km as numeric(18, 6)) as double precision) as uncovered_km,
        cast(km_reported as double precision) as km_reported,
        cast(cast(km_reported - covered_km as numeric(18, 6)) as double precision) as km_overlapping,
        cast(stretches_reported as bigint) as stretches_reported,
        cast(operators_reporting as bigint) as operators_reporting

    from roads

)

select * from final
