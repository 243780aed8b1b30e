{#- Every settlement an operator reported fibre-connected the period before, beside what the same
    operator reports for it this period (for every operator whose settlement_fiber counts this period).
    `is_revised`: the operator's current file for the period is a resubmission. -#}
with

submissions as (

    select * from {{ staging }}.stg_submissions
    where report_type = 'settlement_fiber' and kind = 'operator'

),

current_files as (

    select
        current_file.period,
        current_file.submitter as operator,
        current_file.submission_id,
        exists(
            select 1 from submissions as earlier
            where earlier.superseded_by = current_file.submission_id
        ) as is_revised
    from submissions as current_file
    where current_file.counts_for_period
        and current_file.period = '{{ period }}'

),

connected_before as (

    select * from {{ intermediate }}.int_settlement_fiber_reports
    where period = '{{ previous_period }}' and is_connected

),

reported_now as (

    select * from {{ intermediate }}.int_settlement_fiber_reports
    where period = '{{ period }}'

),

final as (

    select
        cast('{{ period }}' as text) as period,
        connected_before.operator,
        connected_before.kato_code,
        connected_before.region_code,
        coalesce(reported_now.is_connected, false) as still_connected,
        coalesce(reported_now.fibre_status, 'not reported') as fibre_status_now,
        connected_before.connected_on as connected_on_before,
        current_files.is_revised,
        concat_ws(';', current_files.submission_id, connected_before.submission_id) as submission_ids,
        reported_now.source_line
    from connected_before
    inner join current_files
        on current_files.operator = connected_before.operator
    left join reported_now
        on reported_now.operator = connected_before.operator
        and reported_now.kato_code = connected_before.kato_code

)

select * from final
