{#- Every report the contracts expect for the period (each operator's, each akimat's and the
    measurement platform's report types), beside the file that counts for it, if any, and the files
    rejected for it. -#}
with

expected as (

    select expected.*
    from (
        values
        {{ expected_submissions }}
    ) as expected (kind, submitter, report_type)

),

files as (

    select * from {{ staging }}.stg_submissions
    where period = '{{ period }}'

),

current_files as (

    select kind, submitter, report_type, submission_id, source_key
    from files
    where counts_for_period

),

rejected as (

    select
        kind,
        submitter,
        report_type,
        count(*) as rejected_files,
        string_agg(submission_id, ';' order by submission_id) as rejected_ids
    from files
    where status = 'rejected'
    group by kind, submitter, report_type

),

final as (

    select
        cast('{{ period }}' as text) as period,
        expected.kind,
        expected.submitter,
        expected.report_type,
        case when expected.kind = 'akimat' then expected.submitter end as region_code,
        case when expected.kind = 'operator' then expected.submitter end as operator,
        current_files.submission_id as current_submission_id,
        current_files.source_key,
        cast(coalesce(rejected.rejected_files, 0) as bigint) as rejected_files,
        concat_ws(';', current_files.submission_id, rejected.rejected_ids) as submission_ids
    from expected
    left join current_files
        on current_files.kind = expected.kind
        and current_files.submitter = expected.submitter
        and current_files.report_type = expected.report_type
    left join rejected
        on rejected.kind = expected.kind
        and rejected.submitter = expected.submitter
        and rejected.report_type = expected.report_type

)

select * from final
