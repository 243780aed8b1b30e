{#- The operators' base stations of the period (current files). -#}
select
    sites.period,
    sites.operator,
    sites.site_id,
    sites.kato_code,
    substr(sites.kato_code, 1, 2) as region_code,
    sites.technology,
    sites.site_status,
    cast(sites.latitude as double precision) as latitude,
    cast(sites.longitude as double precision) as longitude,
    sites.submission_id as submission_ids,
    sites.source_line
from {{ staging }}.stg_base_stations as sites
where sites.period = '{{ period }}'
