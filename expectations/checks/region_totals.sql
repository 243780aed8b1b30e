{#- Every total the marts publish beside the sum of its parts, for the period, one row per (mart, region,
    figure): a region's coverage figures against the sum over its settlements; the country's (KZ)
    against the sum over the regions; an operator-wide enforcement row ('all') against the sum over the
    operators; the progress mart's actuals against the figures they come from. -#}
{%- set settlement_figures = [
    ('settlements', '1'),
    ('rural_settlements', 'case when is_rural then 1 else 0 end'),
    ('rural_settlements_with_fibre', 'case when is_rural and has_fibre then 1 else 0 end'),
    ('villages_fibre_new', 'case when is_rural and is_new_fibre then 1 else 0 end'),
    ('settlements_with_access', 'case when has_high_speed_internet then 1 else 0 end'),
    ('population', 'population'),
    ('population_with_access', 'population_with_access'),
    ('households_last_mile', 'last_mile_households'),
    ('people_last_mile', 'last_mile_people'),
] -%}
{%- set support_figures = ['land_requests', 'land_approved', 'land_rejected', 'land_pending',
    'poles_requested', 'poles_granted', 'power_requests', 'power_conditions_issued', 'power_conditions_pending'] -%}
{%- set enforcement_figures = ['inspections', 'violations', 'below_required', 'fines', 'fines_kzt',
    'fines_paid'] -%}
{%- set progress_from_coverage = ['villages_fibre_new', 'villages_fibre_share', 'population_access_share',
    'households_last_mile', 'people_last_mile'] -%}
with

settlements as (

    select * from {{ schema }}.fct_settlement_connectivity
    where period = '{{ period }}'

),

settlement_sums as (

    select
        region_code,
        {%- for figure, expression in settlement_figures %}
        cast(sum({{ expression }}) as double precision) as {{ figure }}{{ "," if not loop.last }}{% endfor %}
    from settlements
    group by region_code

),

coverage as (

    select * from {{ schema }}.fct_region_coverage
    where period = '{{ period }}'

),

support as (

    select * from {{ schema }}.fct_akimat_support
    where period = '{{ period }}'

),

enforcement as (

    select * from {{ schema }}.fct_quality_enforcement
    where period = '{{ period }}'

),

progress as (

    select * from {{ schema }}.fct_programme_progress
    where period = '{{ period }}'

),

roads as (

    select cast(sum(covered_km) as double precision) as road_km_covered
    from {{ schema }}.fct_road_coverage
    where period = '{{ period }}'

),

cities as (

    select
        cast(100.0 * sum(largest_covered_area_km2) / nullif(sum(area_km2), 0) as double precision)
            as city_5g_territory_share,
        cast(sum(case when is_at_target then 1 else 0 end) as double precision) as cities_5g_at_target
    from {{ schema }}.fct_city_5g_coverage
    where period = '{{ period }}'

),

compared as (

    {%- for figure, expression in settlement_figures %}
    select
        'fct_region_coverage' as mart, coverage.region_code, cast(null as text) as operator,
        '{{ figure }}' as figure, 'settlements of the region' as parts,
        cast(coverage.{{ figure }} as double precision) as reported,
        coalesce(settlement_sums.{{ figure }}, 0) as sum_of_parts
    from coverage
    left join settlement_sums on settlement_sums.region_code = coverage.region_code
    where coverage.region_code <> 'KZ'
    union all
    select
        'fct_region_coverage', 'KZ', cast(null as text), '{{ figure }}', 'regions',
        cast(max(case when region_code = 'KZ' then {{ figure }} end) as double precision),
        cast(coalesce(sum(case when region_code <> 'KZ' then {{ figure }} end), 0) as double precision)
    from coverage
    having count(*) > 0
    union all
    {%- endfor %}

    {%- for figure in support_figures %}
    select
        'fct_akimat_support', 'KZ', cast(null as text), '{{ figure }}', 'regions',
        cast(max(case when region_code = 'KZ' then {{ figure }} end) as double precision),
        cast(coalesce(sum(case when region_code <> 'KZ' then {{ figure }} end), 0) as double precision)
    from support
    having count(*) > 0
    union all
    {%- endfor %}

    {%- for figure in enforcement_figures %}
    select
        'fct_quality_enforcement', region_code, 'all', '{{ figure }}', 'operators of the region',
        cast(max(case when operator = 'all' then {{ figure }} end) as double precision),
        cast(coalesce(sum(case when operator <> 'all' then {{ figure }} end), 0) as double precision)
    from enforcement
    group by region_code
    union all
    select
        'fct_quality_enforcement', 'KZ', operator, '{{ figure }}', 'regions',
        cast(max(case when region_code = 'KZ' then {{ figure }} end) as double precision),
        cast(coalesce(sum(case when region_code <> 'KZ' then {{ figure }} end), 0) as double precision)
    from enforcement
    group by operator
    having count(case when region_code = 'KZ' then 1 end) > 0
    union all
    {%- endfor %}

    {%- for figure in progress_from_coverage %}
    select
        'fct_programme_progress', progress.region_code, cast(null as text), '{{ figure }}',
        'fct_region_coverage',
        cast(progress.actual as double precision),
        cast(coverage.{{ figure }} as double precision)
    from progress
    inner join coverage on coverage.region_code = progress.region_code
    where progress.indicator = '{{ figure }}'
    union all
    {%- endfor %}

    select
        'fct_programme_progress', progress.region_code, cast(null as text), 'land_requests_decided_share',
        'fct_akimat_support', cast(progress.actual as double precision),
        cast(support.land_requests_decided_share as double precision)
    from progress
    inner join support on support.region_code = progress.region_code
    where progress.indicator = 'land_requests_decided_share'
    union all
    select
        'fct_programme_progress', progress.region_code, cast(null as text), 'fines_kzt',
        'fct_quality_enforcement', cast(progress.actual as double precision),
        cast(enforcement.fines_kzt as double precision)
    from progress
    inner join enforcement on enforcement.region_code = progress.region_code and enforcement.operator = 'all'
    where progress.indicator = 'fines_kzt'
    union all
    select
        'fct_programme_progress', 'KZ', cast(null as text), 'road_km_covered', 'fct_road_coverage',
        cast(progress.actual as double precision), roads.road_km_covered
    from progress
    cross join roads
    where progress.indicator = 'road_km_covered' and progress.region_code = 'KZ'
    union all
    select
        'fct_programme_progress', 'KZ', cast(null as text), progress.indicator, 'fct_city_5g_coverage',
        cast(progress.actual as double precision),
        case
            when progress.indicator = 'city_5g_territory_share' then cities.city_5g_territory_share
            else cities.cities_5g_at_target
        end
    from progress
    cross join cities
    where progress.indicator in ('city_5g_territory_share', 'cities_5g_at_target')
        and progress.region_code = 'KZ'

),

final as (

    select
        cast('{{ period }}' as text) as period,
        mart,
        region_code,
        operator,
        figure,
        parts,
        reported,
        sum_of_parts,
        coalesce(reported, 0) - coalesce(sum_of_parts, 0) as difference,
        abs(coalesce(reported, 0) - coalesce(sum_of_parts, 0)) as abs_difference
    from compared

)

select * from final
