{#- Per period, region and nation ('KZ'): akimats' support to the operators — land plots, power-line poles,
    technical conditions for electricity. -#}
with

support as (

    select * from {{ ref('int_akimat_support') }}

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(region_code as text) as region_code,

        ---------- land plots
        cast(land_requests as bigint) as land_requests,
        cast(land_approved as bigint) as land_approved,
        cast(land_rejected as bigint) as land_rejected,
        cast(land_pending as bigint) as land_pending,
        cast(land_requests_decided_share as double precision) as land_requests_decided_share,
        cast(land_median_days_to_decide as double precision) as land_median_days_to_decide,

        ---------- poles
        cast(poles_requested as bigint) as poles_requested,
        cast(poles_granted as bigint) as poles_granted,
        cast(poles_granted_share as double precision) as poles_granted_share,

        ---------- power
        cast(power_requests as bigint) as power_requests,
        cast(power_conditions_issued as bigint) as power_conditions_issued,
        cast(power_conditions_pending as bigint) as power_conditions_pending,
        cast(power_median_days_to_conditions as double precision) as power_median_days_to_conditions,
        cast(power_median_days_waiting as double precision) as power_median_days_waiting

    from support

)

select * from final
