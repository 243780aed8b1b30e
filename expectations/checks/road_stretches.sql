{#- Each covered stretch an operator reports for the period, beside the road's length in the register. -#}
select
    stretches.period,
    stretches.operator,
    stretches.road_code,
    roads.region_codes as region_code,
    stretches.km_from,
    stretches.km_to,
    cast(roads.length_km as double precision) as length_km,
    stretches.submission_id as submission_ids,
    stretches.source_line
from {{ staging }}.stg_road_coverage as stretches
inner join {{ staging }}.stg_reference_roads as roads
    on roads.road_code = stretches.road_code
where stretches.period = '{{ period }}'
