{#- Per period, region ('KZ' = nation) and operator ('all' = every operator): inspections, violations and
    fines imposed by akimats for poor internet quality. -#}
with

enforcement as (

    select * from {{ ref('int_quality_enforcement') }}

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(region_code as text) as region_code,
        cast(operator as text) as operator,

        ---------- inspections
        cast(inspections as bigint) as inspections,
        cast(violations as bigint) as violations,
        cast(violation_share as double precision) as violation_share,
        cast(below_required as bigint) as below_required,

        ---------- fines
        cast(fines as bigint) as fines,
        cast(fines_kzt as double precision) as fines_kzt,
        cast(fines_paid as bigint) as fines_paid,
        cast(fines_paid_share as double precision) as fines_paid_share,
        cast(fines_paid_kzt_share as double precision) as fines_paid_kzt_share,

        ---------- speeds
        cast(median_measured_download_mbps as double precision) as median_measured_download_mbps,
        cast(median_required_download_mbps as double precision) as median_required_download_mbps

    from enforcement

)

select * from final
