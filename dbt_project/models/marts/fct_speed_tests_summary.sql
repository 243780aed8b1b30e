{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='period',
        on_schema_change='fail',
    )
}}

{#- Speed tests summarised per period at three levels (settlement, region, nation), each by operator and
    technology and over all of them ('all'). Built from about 10 million rows a month, so incremental by
    period: a run rebuilds only the months asked for (var `period`), or else the months whose current
    speed-test submission is not the one already summarised — older months are never rescanned. -#}

with

submissions as (

    select submissions.period, submissions.submission_id
    from {{ ref('stg_submissions') }} as submissions
    {#- sqlfluff expects another indent of this `if` in each of its branches: LT02 is off for it. #}
    -- noqa: disable=LT02
    where submissions.counts_for_period
      and submissions.report_type = 'speed_tests'
    {%- if var('period') %}
      and submissions.period = '{{ var("period") }}'
    {%- elif is_incremental() %}
      and not exists (
          select 1
          from {{ this }} as built
          where built.period = submissions.period
            and built.submission_id = submissions.submission_id
      )
    {%- endif %}  -- noqa: enable=LT02

),

tests as (

    select
        speed_tests.period,
        speed_tests.submission_id,
        speed_tests.kato_code,
        substr(speed_tests.kato_code, 1, 2) as region_code,
        speed_tests.operator,
        speed_tests.technology,
        speed_tests.download_mbps,
        speed_tests.upload_mbps,
        speed_tests.latency_ms
    from {{ ref('stg_speed_tests') }} as speed_tests
    where speed_tests.submission_id in (select submissions.submission_id from submissions)

),

summarised as (

    select
        period,
        submission_id,
        kato_code,
        region_code,
        operator,
        technology,
        grouping(kato_code) as kato_rolled_up,
        grouping(region_code) as region_rolled_up,
        grouping(operator) as operator_rolled_up,
        grouping(technology) as technology_rolled_up,
        count(*) as tests,
        {#- One aggregate state for both download figures, not two: the values are held per group and
            grouping set until the end (holistic aggregates do not spill), and with a state per figure
            10 M rows over ~7,000 settlements ran out of DuckDB's 4 GB. -#}
        {{ percentiles('download_mbps', [0.1, 0.5]) }} as p10_p50_download_mbps,
        {{ median('upload_mbps') }} as median_upload_mbps,
        {{ median('latency_ms') }} as median_latency_ms
    from tests
    group by grouping sets (
        (period, submission_id, region_code, kato_code, operator, technology),
        (period, submission_id, region_code, kato_code),
        (period, submission_id, region_code, operator, technology),
        (period, submission_id, region_code),
        (period, submission_id, operator, technology),
        (period, submission_id)
    )

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(
            case
                when kato_rolled_up = 0 then 'settlement'
                when region_rolled_up = 0 then 'region'
                else 'nation'
            end as text
        ) as area_level,
        cast(
            case
                when kato_rolled_up = 0 then kato_code
                when region_rolled_up = 0 then region_code
                else {{ nation_code() }}
            end as text
        ) as area_code,
        cast(case when region_rolled_up = 0 then region_code else {{ nation_code() }} end as text)
            as region_code,
        cast(case when operator_rolled_up = 0 then operator else 'all' end as text) as operator,
        cast(case when technology_rolled_up = 0 then technology else 'all' end as text) as technology,

        ---------- measures
        cast(tests as bigint) as tests,
        cast(p10_p50_download_mbps[2] as double precision) as median_download_mbps,
        cast(p10_p50_download_mbps[1] as double precision) as p10_download_mbps,
        cast(median_upload_mbps as double precision) as median_upload_mbps,
        cast(median_latency_ms as double precision) as median_latency_ms,

        ---------- lineage
        cast(submission_id as text) as submission_id

    from summarised

)

select * from final
