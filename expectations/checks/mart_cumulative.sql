{#- The cumulative figures of the marts this period beside the period before: per region (and KZ) the
    rural settlements with fibre and the villages newly connected since the programme start, per road
    the covered kilometres. `is_revised`: a current file of the report type behind the figure is a
    resubmission for this period (an operator revised its report). -#}
{%- set region_figures = ['rural_settlements_with_fibre', 'villages_fibre_new'] -%}
with

submissions as (

    select * from {{ staging }}.stg_submissions

),

current_files as (

    select
        current_file.report_type,
        current_file.submission_id,
        exists(
            select 1 from submissions as earlier where earlier.superseded_by = current_file.submission_id
        ) as is_revised
    from submissions as current_file
    where current_file.counts_for_period
        and current_file.period = '{{ period }}'
        and current_file.report_type in ('settlement_fiber', 'road_coverage')

),

revisions as (

    select
        report_type,
        max(case when is_revised then 1 else 0 end) as revised,
        string_agg(submission_id, ';' order by submission_id) as submission_ids
    from current_files
    group by report_type

),

coverage as (

    select * from {{ schema }}.fct_region_coverage
    where period in ('{{ period }}', '{{ previous_period }}')

),

roads as (

    select * from {{ schema }}.fct_road_coverage
    where period in ('{{ period }}', '{{ previous_period }}')

),

compared as (

    {%- for figure in region_figures %}
    select
        now_row.region_code, cast(null as text) as road_code, '{{ figure }}' as figure,
        'settlement_fiber' as report_type,
        cast(now_row.{{ figure }} as double precision) as value,
        cast(before_row.{{ figure }} as double precision) as value_before
    from coverage as now_row
    inner join coverage as before_row
        on before_row.region_code = now_row.region_code
        and before_row.period = '{{ previous_period }}'
    where now_row.period = '{{ period }}'
    union all
    {%- endfor %}
    select
        now_row.region_codes, now_row.road_code, 'covered_km', 'road_coverage',
        cast(now_row.covered_km as double precision), cast(before_row.covered_km as double precision)
    from roads as now_row
    inner join roads as before_row
        on before_row.road_code = now_row.road_code
        and before_row.period = '{{ previous_period }}'
    where now_row.period = '{{ period }}'

),

final as (

    select
        cast('{{ period }}' as text) as period,
        compared.region_code,
        compared.road_code,
        compared.figure,
        compared.value,
        compared.value_before,
        compared.value_before - compared.value as drop_value,
        coalesce(revisions.revised, 0) = 1 as is_revised,
        revisions.submission_ids
    from compared
    left join revisions
        on revisions.report_type = compared.report_type

)

select * from final
