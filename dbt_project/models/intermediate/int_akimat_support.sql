{#- Per period, region and nation ('KZ'): how akimats support the operators — land plots, poles, power.
    A figure is null when the akimat did not submit that report for the period (nothing carried forward);
    an empty register gives 0. Each register is aggregated once per region and once over the country
    (grouping sets: the nation's row is the one without region_code). -#}
with

reports as (

    select * from {{ ref('int_akimat_reports') }}

),

land as (

    select period, region_code, is_decided, decision, days_to_decide from {{ ref('int_land_requests') }}

),

land_by_area as (

    select
        period,
        case when grouping(region_code) = 0 then region_code else {{ nation_code() }} end as area_code,
        count(*) as land_requests,
        count(*) filter (where decision = 'approved') as land_approved,
        count(*) filter (where decision = 'rejected') as land_rejected,
        count(*) filter (where decision = 'pending') as land_pending,
        count(*) filter (where is_decided) as land_decided,
        {{ median('days_to_decide') }} as land_median_days_to_decide
    from land
    group by grouping sets ((period, region_code), (period))

),

poles as (

    select period, region_code, poles_requested, poles_granted from {{ ref('int_pole_access') }}

),

poles_by_area as (

    select
        period,
        case when grouping(region_code) = 0 then region_code else {{ nation_code() }} end as area_code,
        sum(poles_requested) as poles_requested,
        sum(poles_granted) as poles_granted
    from poles
    group by grouping sets ((period, region_code), (period))

),

power as (

    select period, region_code, is_pending, days_to_conditions, days_waiting
    from {{ ref('int_power_connections') }}

),

power_by_area as (

    select
        period,
        case when grouping(region_code) = 0 then region_code else {{ nation_code() }} end as area_code,
        count(*) as power_requests,
        count(*) filter (where not is_pending) as power_conditions_issued,
        count(*) filter (where is_pending) as power_conditions_pending,
        {{ median('days_to_conditions') }} as power_median_days_to_conditions,
        {{ median('days_waiting') }} as power_median_days_waiting
    from power
    group by grouping sets ((period, region_code), (period))

),

final as (

    select
        ---------- ids
        reports.period,
        reports.region_code,

        ---------- land plots
        {{ count_if_reported('reports.has_land_allocation', 'land_by_area.land_requests') }} as land_requests,
        {{ count_if_reported('reports.has_land_allocation', 'land_by_area.land_approved') }} as land_approved,
        {{ count_if_reported('reports.has_land_allocation', 'land_by_area.land_rejected') }} as land_rejected,
        {{ count_if_reported('reports.has_land_allocation', 'land_by_area.land_pending') }} as land_pending,
        case
            when reports.has_land_allocation
                then {{ share_pct('land_by_area.land_decided', 'land_by_area.land_requests') }}
        end as land_requests_decided_share,
        land_by_area.land_median_days_to_decide,

        ---------- poles
        {{ count_if_reported('reports.has_pole_access', 'poles_by_area.poles_requested') }}
            as poles_requested,
        {{ count_if_reported('reports.has_pole_access', 'poles_by_area.poles_granted') }} as poles_granted,
        case
            when reports.has_pole_access
                then {{ share_pct('poles_by_area.poles_granted', 'poles_by_area.poles_requested') }}
        end as poles_granted_share,

        ---------- power
        {{ count_if_reported('reports.has_power_connections', 'power_by_area.power_requests') }}
            as power_requests,
        {{ count_if_reported('reports.has_power_connections', 'power_by_area.power_conditions_issued') }}
            as power_conditions_issued,
        {{ count_if_reported('reports.has_power_connections', 'power_by_area.power_conditions_pending') }}
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
