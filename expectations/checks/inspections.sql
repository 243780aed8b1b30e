{#- The akimats' quality inspections of the period (current files), with the period's last day. -#}
select
    inspections.period,
    inspections.akimat_region_code as region_code,
    inspections.operator,
    inspections.kato_code,
    inspections.inspection_id,
    inspections.is_violation as violation,
    cast(inspections.fine_kzt as double precision) as fine_kzt,
    inspections.inspected_on,
    cast('{{ period_end }}' as date) as period_end,
    inspections.submission_id as submission_ids,
    inspections.source_line
from {{ staging }}.stg_quality_inspections as inspections
where inspections.period = '{{ period }}'
