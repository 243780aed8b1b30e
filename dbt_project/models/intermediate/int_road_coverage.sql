{#- Per period and road of the register: covered kilometres with overlaps counted once — the length of
    the union of every operator's stretches [km_from, km_to] on the road (gaps and islands). Every road
    of the register appears in every period (0 km when nobody reports it). -#}
with

periods as (

    select period from {{ ref('int_periods') }}

),

roads as (

    select * from {{ ref('stg_reference_roads') }}

),

stretches as (

    select stretches.*
    from {{ ref('stg_road_coverage') }} as stretches
    inner join roads
        on roads.road_code = stretches.road_code
    where stretches.km_to > stretches.km_from

),

islands as (

    {{ interval_islands('stretches', ['period', 'road_code'], 'km_from', 'km_to') }}

),

covered as (

    select
        period,
        road_code,
        count(*) as covered_islands,
        sum(island_end - island_start) as covered_km
    from islands
    group by period, road_code

),

reported as (

    select
        period,
        road_code,
        count(*) as stretches_reported,
        count(distinct operator) as operators_reporting,
        sum(km_to - km_from) as km_reported
    from stretches
    group by period, road_code

),

final as (

    select
        ---------- ids
        periods.period,
        roads.road_code,

        ---------- attributes
        roads.road_name,
        roads.road_category,
        roads.region_codes,

        ---------- numerics
        roads.length_km,
        coalesce(reported.stretches_reported, 0) as stretches_reported,
        coalesce(reported.operators_reporting, 0) as operators_reporting,
        coalesce(reported.km_reported, 0) as km_reported,
        coalesce(covered.covered_islands, 0) as covered_islands,
        coalesce(covered.covered_km, 0) as covered_km,
        {{ share_pct('coalesce(covered.covered_km, 0)', 'roads.length_km') }} as covered_share

    from periods
    cross join roads
    left join covered
        on covered.period = periods.period
        and covered.road_code = roads.road_code
    left join reported
        on reported.period = periods.period
        and reported.road_code = roads.road_code

)

select * from final
