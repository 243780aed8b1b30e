{#- Per road of the register, the period's covered kilometres in the marts (the union of every operator's
    stretches, overlaps counted once) beside two bounds worked out here from the stretches themselves:
    at most the kilometres reported (the sum of the stretches), at least the largest coverage of any
    single operator on the road (its own stretches merged). -#}
with

roads as (

    select * from {{ schema }}.fct_road_coverage
    where period = '{{ period }}'

),

stretches as (

    select stretches.operator, stretches.road_code, stretches.km_from, stretches.km_to
    from {{ staging }}.stg_road_coverage as stretches
    inner join roads
        on roads.road_code = stretches.road_code
    where stretches.period = '{{ period }}'
        and stretches.km_to > stretches.km_from

),

ordered as (

    select
        stretches.*,
        max(stretches.km_to) over (
            partition by stretches.operator, stretches.road_code
            order by stretches.km_from, stretches.km_to
            rows between unbounded preceding and 1 preceding
        ) as reach_before
    from stretches

),

numbered as (

    select
        ordered.*,
        sum(
            case
                when ordered.reach_before is not null and ordered.km_from <= ordered.reach_before then 0
                else 1
            end
        ) over (
            partition by ordered.operator, ordered.road_code
            order by ordered.km_from, ordered.km_to
            rows between unbounded preceding and current row
        ) as island
    from ordered

),

operator_km as (

    select operator, road_code, sum(island_km) as covered_km
    from (
        select operator, road_code, island, max(km_to) - min(km_from) as island_km
        from numbered
        group by operator, road_code, island
    ) as islands
    group by operator, road_code

),

by_road as (

    select
        road_code,
        max(covered_km) as largest_operator_km,
        count(*) as operators
    from operator_km
    group by road_code

),

reported as (

    select road_code, sum(km_to - km_from) as km_reported
    from stretches
    group by road_code

),

final as (

    select
        roads.period,
        roads.road_code,
        roads.region_codes as region_code,
        cast(roads.length_km as double precision) as length_km,
        cast(roads.covered_km as double precision) as covered_km,
        cast(coalesce(reported.km_reported, 0) as double precision) as km_reported,
        cast(coalesce(by_road.largest_operator_km, 0) as double precision) as largest_operator_km,
        cast(roads.covered_km - coalesce(reported.km_reported, 0) as double precision)
            as excess_over_reported,
        cast(coalesce(by_road.largest_operator_km, 0) - roads.covered_km as double precision)
            as shortfall_below_operator
    from roads
    left join reported
        on reported.road_code = roads.road_code
    left join by_road
        on by_road.road_code = roads.road_code

)

select * from final
