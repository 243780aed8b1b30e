{#- Per operator and road: the kilometres the operator's own stretches cover (overlaps counted once),
    this period and the period before, for every operator whose road coverage counts this period.
    `is_revised`: the operator's current file for the period is a resubmission (it superseded an
    earlier file), the revision that may explain a fall. -#}
with

submissions as (

    select * from {{ staging }}.stg_submissions
    where report_type = 'road_coverage' and kind = 'operator'

),

current_files as (

    select
        current_file.period,
        current_file.submitter as operator,
        current_file.submission_id,
        exists(
            select 1 from submissions as earlier
            where earlier.superseded_by = current_file.submission_id
        ) as is_revised
    from submissions as current_file
    where current_file.counts_for_period
        and current_file.period in ('{{ period }}', '{{ previous_period }}')

),

roads as (

    select road_code, region_codes, cast(length_km as double precision) as length_km
    from {{ staging }}.stg_reference_roads

),

stretches as (

    select stretches.period, stretches.operator, stretches.road_code, stretches.km_from, stretches.km_to
    from {{ staging }}.stg_road_coverage as stretches
    inner join roads
        on roads.road_code = stretches.road_code
    where stretches.period in ('{{ period }}', '{{ previous_period }}')
        and stretches.km_to > stretches.km_from

),

ordered as (

    select
        stretches.*,
        max(stretches.km_to) over (
            partition by stretches.period, stretches.operator, stretches.road_code
            order by stretches.km_from, stretches.km_to
            rows between unbounded preceding and 1 preceding
        ) as reach_before
    from stretches

),

numbered as (

    select
        ordered.*,
        sum(
            case
                when ordered.reach_before is not null and ordered.km_from <= ordered.reach_before then 0
                else 1
            end
        ) over (
            partition by ordered.period, ordered.operator, ordered.road_code
            order by ordered.km_from, ordered.km_to
            rows between unbounded preceding and current row
        ) as island
    from ordered

),

islands as (

    select period, operator, road_code, island, max(km_to) - min(km_from) as island_km
    from numbered
    group by period, operator, road_code, island

),

covered as (

    select period, operator, road_code, sum(island_km) as covered_km
    from islands
    group by period, operator, road_code

),

pairs as (

    select distinct covered.operator, covered.road_code
    from covered
    inner join current_files
        on current_files.operator = covered.operator
        and current_files.period = '{{ period }}'

),

final as (

    select
        cast('{{ period }}' as text) as period,
        pairs.operator,
        pairs.road_code,
        roads.region_codes as region_code,
        roads.length_km,
        cast(coalesce(now_km.covered_km, 0) as double precision) as covered_km,
        cast(before_km.covered_km as double precision) as covered_km_before,
        cast(coalesce(now_km.covered_km, 0) - roads.length_km as double precision) as excess_km,
        cast(before_km.covered_km - coalesce(now_km.covered_km, 0) as double precision) as drop_km,
        now_file.is_revised,
        concat_ws(';', now_file.submission_id, before_file.submission_id) as submission_ids
    from pairs
    inner join roads
        on roads.road_code = pairs.road_code
    inner join current_files as now_file
        on now_file.operator = pairs.operator
        and now_file.period = '{{ period }}'
    left join current_files as before_file
        on before_file.operator = pairs.operator
        and before_file.period = '{{ previous_period }}'
    left join covered as now_km
        on now_km.operator = pairs.operator
        and now_km.road_code = pairs.road_code
        and now_km.period = '{{ period }}'
    left join covered as before_km
        on before_km.operator = pairs.operator
        and before_km.road_code = pairs.road_code
        and before_km.period = '{{ previous_period }}'
        and before_file.submission_id is not null

)

select * from final
