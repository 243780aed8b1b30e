{#- Each operator's 5G covered area of a city for the period, beside the city's area (KATO reference). -#}
select
    reports.period,
    reports.operator,
    reports.city_kato as kato_code,
    cities.region_code,
    cast(reports.covered_area_km2 as double precision) as covered_area_km2,
    cast(cities.area_km2 as double precision) as area_km2,
    reports.sites_5g,
    reports.submission_id as submission_ids,
    reports.source_line
from {{ staging }}.stg_city_5g as reports
inner join {{ intermediate }}.int_settlements as cities
    on cities.kato_code = reports.city_kato
where reports.period = '{{ period }}'
