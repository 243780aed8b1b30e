{#- The operators known from the data: those that submitted reports, and those the akimats' and the
    measurement platform's reports name. -#}
with

submissions as (

    select * from {{ ref('stg_submissions') }} where counts_for_period and kind = 'operator'

),

named as (

    select period, operator from {{ ref('stg_land_allocation') }}
    union
    select period, operator from {{ ref('stg_pole_access') }}
    union
    select period, operator from {{ ref('stg_power_connections') }}
    union
    select period, operator from {{ ref('stg_quality_inspections') }}

),

reporting as (

    select
        submitter as operator,
        min(period) as first_period_reported,
        max(period) as last_period_reported,
        count(distinct period) as periods_reported,
        count(*) as submissions,
        {{ text_list('report_type', 'report_type', ', ') }} as report_types
    from (select distinct submitter, period, report_type from submissions) as distinct_reports
    group by submitter

),

named_by_akimats as (

    select operator, min(period) as first_period_named, max(period) as last_period_named
    from named
    group by operator

),

operators as (

    select operator from reporting
    union
    select operator from named_by_akimats

),

final as (

    select
        ---------- ids
        cast(operators.operator as text) as operator,

        ---------- reporting
        cast(reporting.first_period_reported as text) as first_period_reported,
        cast(reporting.last_period_reported as text) as last_period_reported,
        cast(coalesce(reporting.periods_reported, 0) as bigint) as periods_reported,
        cast(coalesce(reporting.submissions, 0) as bigint) as submissions,
        cast(reporting.report_types as text) as report_types,

        ---------- named by akimats
        cast(named_by_akimats.first_period_named as text) as first_period_named,
        cast(named_by_akimats.last_period_named as text) as last_period_named

    from operators
    left join reporting
        on reporting.operator = operators.operator
    left join named_by_akimats
        on named_by_akimats.operator = operators.operator

)

select * from final
