{%- set metrics = ['inspections', 'violations', 'fines', 'fines_kzt', 'fines_paid', 'fines_paid_kzt',
                   'below_required', 'median_measured_download_mbps', 'median_required_download_mbps'] -%}
{#- Per period, region ('KZ': the nation) and operator ('all': every operator): inspections, violations
    and fines. The 'all' rows exist for every region, null when its akimat did not submit inspections
    for the period; operator rows only where inspections exist. -#}
with

reports as (

    select period, region_code, has_quality_inspections from {{ ref('int_akimat_reports') }}

),

inspections as (

    select * from {{ ref('int_quality_inspections') }}

),

inspection_rows as (

    select inspections.*, inspections.region_code as area_code, inspections.operator as operator_code
    from inspections
    union all
    select inspections.*, {{ nation_code() }} as area_code, inspections.operator as operator_code
    from inspections
    union all
    select inspections.*, inspections.region_code as area_code, 'all' as operator_code
    from inspections
    union all
    select inspections.*, {{ nation_code() }} as area_code, 'all' as operator_code
    from inspections

),

by_area as (

    select
        period,
        area_code,
        operator_code,
        count(*) as inspections,
        count(*) filter (where is_violation) as violations,
        count(*) filter (where is_fined) as fines,
        sum(fine_kzt) as fines_kzt,
        count(*) filter (where is_fined and is_fine_paid) as fines_paid,
        sum(case when is_fined and is_fine_paid then fine_kzt else 0 end) as fines_paid_kzt,
        count(*) filter (where is_below_required) as below_required,
        {{ median('measured_download_mbps') }} as median_measured_download_mbps,
        {{ median('required_download_mbps') }} as median_required_download_mbps
    from inspection_rows
    group by period, area_code, operator_code

),

totals as (

    select
        reports.period,
        reports.region_code,
        'all' as operator,
        reports.has_quality_inspections,
        {%- for metric in metrics %}
        by_area.{{ metric }}{{ ',' if not loop.last }}{% endfor %}
    from reports
    left join by_area
        on by_area.period = reports.period
        and by_area.area_code = reports.region_code
        and by_area.operator_code = 'all'

),

per_operator as (

    select
        by_area.period,
        by_area.area_code as region_code,
        by_area.operator_code as operator,
        true as has_quality_inspections,
        {%- for metric in metrics %}
        by_area.{{ metric }}{{ ',' if not loop.last }}{% endfor %}
    from by_area
    where by_area.operator_code <> 'all'

),

combined as (

    select * from totals
    union all
    select * from per_operator

),

final as (

    select
        ---------- ids
        period,
        region_code,
        operator,

        ---------- inspections
        case when has_quality_inspections then coalesce(inspections, 0) end as inspections,
        case when has_quality_inspections then coalesce(violations, 0) end as violations,
        {{ share_pct('violations', 'inspections') }} as violation_share,
        case when has_quality_inspections then coalesce(below_required, 0) end as below_required,

        ---------- fines
        case when has_quality_inspections then coalesce(fines, 0) end as fines,
        case when has_quality_inspections then coalesce(fines_kzt, 0) end as fines_kzt,
        case when has_quality_inspections then coalesce(fines_paid, 0) end as fines_paid,
        {{ share_pct('fines_paid', 'fines') }} as fines_paid_share,
        {{ share_pct('fines_paid_kzt', 'fines_kzt') }} as fines_paid_kzt_share,

        ---------- speeds
        median_measured_download_mbps,
        median_required_download_mbps

    from combined

)

select * from final
