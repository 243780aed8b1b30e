-- road_km_covered in the progress mart is the sum of the roads' covered km (overlaps already merged
-- per road), and no road's covered km exceed what its operators reported.
with roads as (
    select period, sum(covered_km) as covered_km, min(km_reported - covered_km) as least_overlap
    from {{ ref('fct_road_coverage') }}
    group by period
),

progress as (
    select period, actual
    from {{ ref('fct_programme_progress') }}
    where region_code = {{ nation_code() }} and indicator = 'road_km_covered'
)

select progress.period, progress.actual, roads.covered_km
from progress
inner join roads on roads.period = progress.period
where abs(progress.actual - roads.covered_km) > 1e-6 * greatest(1, roads.covered_km)
   or roads.least_overlap < -1e-9
