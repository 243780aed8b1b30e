{#- The akimats' land-plot requests of the period (current files), with the period's last day. -#}
select
    requests.period,
    requests.akimat_region_code as region_code,
    requests.operator,
    requests.kato_code,
    requests.request_id,
    requests.decision,
    requests.requested_on,
    requests.decided_on,
    cast('{{ period_end }}' as date) as period_end,
    requests.submission_id as submission_ids,
    requests.source_line
from {{ staging }}.stg_land_allocation as requests
where requests.period = '{{ period }}'
