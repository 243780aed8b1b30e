-- Every period of the marts has the ten headline indicators of MISSION.md for the nation (KZ), once.
with expected as (
    select period, indicator
    from {{ ref('dim_period') }}
    cross join (
        select 'villages_fibre_new' as indicator union all select 'villages_fibre_share'
        union all select 'population_access_share' union all select 'households_last_mile'
        union all select 'people_last_mile' union all select 'road_km_covered'
        union all select 'city_5g_territory_share' union all select 'cities_5g_at_target'
        union all select 'land_requests_decided_share' union all select 'fines_kzt'
    ) as indicators
),

national as (
    select period, indicator, count(*) as rows_found
    from {{ ref('fct_programme_progress') }}
    where region_code = 'KZ'
    group by period, indicator
)

select expected.period, expected.indicator, national.rows_found
from expected
left join national
    on national.period = expected.period
    and national.indicator = expected.indicator
where coalesce(national.rows_found, 0) <> 1
