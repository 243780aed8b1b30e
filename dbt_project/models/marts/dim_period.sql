with

periods as (

    select * from {{ ref('int_periods') }}

),

submissions as (

    select * from {{ ref('stg_submissions') }} where counts_for_period

),

by_period as (

    select
        period,
        count(*) as submissions,
        count(distinct case when kind = 'operator' then submitter end) as operators_reporting,
        count(distinct case when kind = 'akimat' then submitter end) as akimats_reporting,
        count(distinct case when kind = 'measurement' then submitter end) as measurement_platforms_reporting,
        sum(rows_loaded) as rows_loaded
    from submissions
    group by period

),

final as (

    select
        ---------- ids
        cast(periods.period as text) as period,

        ---------- calendar
        cast(periods.period_start as date) as period_start,
        cast(periods.period_end as date) as period_end,
        cast(substr(periods.period, 1, 4) as bigint) as year,
        cast(substr(periods.period, 6, 2) as bigint) as month,
        cast(periods.period_index as bigint) as month_index,

        ---------- submissions
        cast(by_period.submissions as bigint) as submissions,
        cast(by_period.operators_reporting as bigint) as operators_reporting,
        cast(by_period.akimats_reporting as bigint) as akimats_reporting,
        cast(by_period.measurement_platforms_reporting as bigint) as measurement_platforms_reporting,
        cast(by_period.rows_loaded as bigint) as rows_loaded

    from periods
    left join by_period
        on by_period.period = periods.period

)

select * from final
