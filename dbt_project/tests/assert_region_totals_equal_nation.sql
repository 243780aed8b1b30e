-- The national row (KZ) of fct_region_coverage is the sum of the 20 regions for every additive figure
-- (MISSION.md: "region totals that differ from the sum of their settlements" must never come from us).
with regions as (
    select
        period,
        sum(settlements) as settlements,
        sum(rural_settlements) as rural_settlements,
        sum(rural_settlements_with_fibre) as rural_settlements_with_fibre,
        sum(villages_fibre_new) as villages_fibre_new,
        sum(population) as population,
        sum(population_with_access) as population_with_access,
        sum(households_last_mile) as households_last_mile,
        sum(people_last_mile) as people_last_mile
    from {{ ref('fct_region_coverage') }}
    where region_code <> {{ nation_code() }}
    group by period
),

nation as (
    select * from {{ ref('fct_region_coverage') }} where region_code = {{ nation_code() }}
)

select nation.period
from nation
left join regions on regions.period = nation.period
where regions.period is null
   or nation.settlements <> regions.settlements
   or nation.rural_settlements <> regions.rural_settlements
   or nation.rural_settlements_with_fibre <> regions.rural_settlements_with_fibre
   or nation.villages_fibre_new <> regions.villages_fibre_new
   or nation.population <> regions.population
   or nation.population_with_access <> regions.population_with_access
   or nation.households_last_mile <> regions.households_last_mile
   or abs(nation.people_last_mile - regions.people_last_mile) > 1e-6 * greatest(1, abs(nation.people_last_mile))
