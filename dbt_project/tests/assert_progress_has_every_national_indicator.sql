-- Every period of the marts has each headline indicator of MISSION.md for the nation, once.
with indicators as (
    -- The headline indicators are the programme's targets (reference/programme_targets.csv), listed once.
    select distinct indicator from {{ ref('stg_reference_programme_targets') }}
),

expected as (
    select periods.period, indicators.indicator
    from {{ ref('dim_period') }} as periods
    cross join indicators
),

national as (
    select period, indicator, count(*) as rows_found
    from {{ ref('fct_programme_progress') }}
    where region_code = {{ nation_code() }}
    group by period, indicator
)

select expected.period, expected.indicator, national.rows_found
from expected
left join national
    on national.period = expected.period
    and national.indicator = expected.indicator
where coalesce(national.rows_found, 0) <> 1
