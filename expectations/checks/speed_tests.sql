{#- The measurement platform's speed tests of the period (about ten million rows at national scale):
    the rows of the current file, straight from the raw layer (the staging view leaves out the
    coordinates). Checked in the warehouse (route sql), never pulled into Python. -#}
select
    tests.test_id,
    tests.operator,
    tests.kato_code,
    substr(tests.kato_code, 1, 2) as region_code,
    tests.technology,
    tests.latitude,
    tests.longitude,
    tests.download_mbps,
    tests.upload_mbps,
    tests.latency_ms,
    tests.measured_at,
    cast('{{ period_after }}' as timestamp with time zone) as period_after,
    tests.submission_id as submission_ids,
    tests.source_line
from {{ raw }}.speed_tests as tests
where tests.period = '{{ period }}'
    and tests.submission_id in (
        select submissions.submission_id
        from {{ raw }}.submissions
        where submissions.is_current
            and submissions.status in ('accepted', 'accepted_with_warnings')
            and submissions.report_type = 'speed_tests'
            and submissions.period = '{{ period }}'
    )
