{#- Per period, region and nation ('KZ'): how akimats support the operators — land plots, poles, power.
    A figure is null when the akimat did not submit that report for the period (nothing carried forward);
    an empty register gives 0. -#}
with

reports as (

    select * from {{ ref('int_akimat_reports') }}

),

land as (

    select period, region_code, is_decided, decision, days_to_decide from {{ ref('int_land_requests') }}

),

land_rows as (

    select land.*, region_code as area_code from land
    union all
    select land.*, {{ nation_code() }} as area_code from land

),

land_by_area as (

    select
        period,
        area_code,
        count(*) as land_requests,
        count(*) filter (where decision = 'approved') as land_approved,
        count(*) filter (where decision = 'rejected') as land_rejected,
        count(*) filter (where decision = 'pending') as land_pending,
        count(*) filter (where is_decided) as land_decided,
        {{ median('days_to_decide') }} as land_median_days_to_decide
    from land_rows
    group by period, area_code

),

poles as (

    select period, region_code, poles_requested, poles_granted from {{ ref('int_pole_access') }}

),

pole_rows as (

    select poles.*, region_code as area_code from poles
    union all
    select poles.*, {{ nation_code() }} as area_code from poles

),

poles_by_area as (

    select
        period,
        area_code,
        sum(poles_requested) as poles_requested,
        sum(poles_granted) as poles_granted
    from pole_rows
    group by period, area_code

),

power as (

    select period, region_code, is_pending, days_to_conditions, days_waiting
    from {{ ref('int_power_connections') }}

),

power_rows as (

    select power.*, region_code as area_code from power
    union all
    select power.*, {{ nation_code() }} as area_code from power

),

power_by_area as (

    select
        period,
        area_code,
        count(*) as power_requests,
        count(*) filter (where not is_pending) as power_conditions_issued,
        count(*) filter (where is_pending) as power_conditions_pending,
        {{ median('days_to_conditions') }} as power_median_days_to_conditions,
        {{ median('days_waiting') }} as power_median_days_waiting
    from power_rows
    group by period, area_code

),

final as (

    select
        ---------- ids
        reports.period,
        reports.region_code,

        ---------- land plots
        case when reports.has_land_allocation then coalesce(land_by_area.land_requests, 0) end
            as land_requests,
        case when reports.has_land_allocation then coalesce(land_by_area.land_approved, 0) end
            as land_approved,
        case when reports.has_land_allocation then coalesce(land_by_area.land_rejected, 0) end
            as land_rejected,
        case when reports.has_land_allocation then coalesce(land_by_area.land_pending, 0) end
            as land_pending,
        case when reports.has_land_allocation
            then {{ share_pct('land_by_area.land_decided', 'land_by_area.land_requests') }}
        end as land_requests_decided_share,
        land_by_area.land_median_days_to_decide,

        ---------- poles
        case when reports.has_pole_access then coalesce(poles_by_area.poles_requested, 0) end
            as poles_requested,
        case when reports.has_pole_access then coalesce(poles_by_area.poles_granted, 0) end
            as poles_granted,
        case when reports.has_pole_access
            then {{ share_pct('poles_by_area.poles_granted', 'poles_by_area.poles_requested') }}
        end as poles_granted_share,

        ---------- power
        case when reports.has_power_connections then coalesce(power_by_area.power_requests, 0) end
            as power_requests,
        case when reports.has_power_connections then coalesce(power_by_area.power_conditions_issued, 0) end
            as power_conditions_issued,
        case when reports.has_power_connections then coalesce(power_by_area.power_conditions_pending, 0) end
            as power_conditions_pending,
        power_by_area.power_median_days_to_conditions,
        power_by_area.power_median_days_waiting

    from reports
    left join land_by_area
        on land_by_area.period = reports.period
        and land_by_area.area_code = reports.region_code
    left join poles_by_area
        on poles_by_area.period = reports.period
        and poles_by_area.area_code = reports.region_code
    left join power_by_area
        on power_by_area.period = reports.period
        and power_by_area.area_code = reports.region_code

)

select * from final
