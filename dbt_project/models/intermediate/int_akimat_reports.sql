{#- Per period, area (each region, and 'KZ' for the nation) and akimat report type: did a submission that
    counts arrive? Tells "reported nothing" (0) apart from "did not report" (null) in the akimat marts.
    Nothing is carried forward from an earlier month. -#}
with

periods as (

    select period from {{ ref('int_periods') }}

),

regions as (

    select region_code from {{ ref('stg_reference_kato') }} where kato_level = 'region'

),

areas as (

    select region_code as area_code from regions
    union all
    select {{ nation_code() }} as area_code

),

submissions as (

    select period, submitter as region_code, report_type
    from {{ ref('stg_submissions') }}
    where counts_for_period and kind = 'akimat'

),

reported_by_area as (

    select period, region_code as area_code, report_type from submissions
    union all
    select period, {{ nation_code() }} as area_code, report_type from submissions

),

final as (

    select
        periods.period,
        areas.area_code as region_code,
        coalesce(bool_or(reported_by_area.report_type = 'land_allocation'), false) as has_land_allocation,
        coalesce(bool_or(reported_by_area.report_type = 'pole_access'), false) as has_pole_access,
        coalesce(bool_or(reported_by_area.report_type = 'power_connections'), false) as has_power_connections,
        coalesce(bool_or(reported_by_area.report_type = 'quality_inspections'), false)
            as has_quality_inspections,
        coalesce(bool_or(reported_by_area.report_type = 'settlement_connectivity'), false)
            as has_settlement_connectivity
    from periods
    cross join areas
    left join reported_by_area
        on reported_by_area.period = periods.period
        and reported_by_area.area_code = areas.area_code
    group by periods.period, areas.area_code

)

select * from final
