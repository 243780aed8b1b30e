{#- Each operator's fibre report of each settlement for the period (the row that counts: the last line of
    the operator's current file), beside the settlement's households in the KATO reference. -#}
select
    reports.period,
    reports.operator,
    reports.kato_code,
    reports.region_code,
    reports.fibre_status,
    reports.households_passed,
    reports.households_connected,
    settlements.households as settlement_households,
    reports.submission_id as submission_ids,
    reports.source_line
from {{ intermediate }}.int_settlement_fiber_reports as reports
inner join {{ intermediate }}.int_settlements as settlements
    on settlements.kato_code = reports.kato_code
where reports.period = '{{ period }}'
