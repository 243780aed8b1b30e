-- The speed-test summary's levels agree: the nation's tests equal the sum over its regions and over
-- its settlements, for every operator/technology breakdown.
with by_level as (
    select period, area_level, operator, technology, sum(tests) as tests
    from {{ ref('fct_speed_tests_summary') }}
    group by period, area_level, operator, technology
)

select
    nation.period, nation.operator, nation.technology, nation.tests,
    regions.tests as region_tests, settlements.tests as settlement_tests
from by_level as nation
left join by_level as regions
    on regions.period = nation.period and regions.area_level = 'region'
    and regions.operator = nation.operator and regions.technology = nation.technology
left join by_level as settlements
    on settlements.period = nation.period and settlements.area_level = 'settlement'
    and settlements.operator = nation.operator and settlements.technology = nation.technology
where nation.area_level = 'nation'
    and (coalesce(regions.tests, -1) <> nation.tests or coalesce(settlements.tests, -1) <> nation.tests)
