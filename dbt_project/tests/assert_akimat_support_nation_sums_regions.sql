-- The nation's land-plot and pole figures are the sums over the regions that reported.
with regions as (
    select
        period,
        sum(land_requests) as land_requests,
        sum(land_approved) as land_approved,
        sum(land_pending) as land_pending,
        sum(poles_requested) as poles_requested,
        sum(poles_granted) as poles_granted,
        sum(power_requests) as power_requests
    from {{ ref('fct_akimat_support') }}
    where region_code <> {{ nation_code() }}
    group by period
),

nation as (
    select * from {{ ref('fct_akimat_support') }} where region_code = {{ nation_code() }}
)

select nation.period
from nation
inner join regions on regions.period = nation.period
where coalesce(nation.land_requests, 0) <> coalesce(regions.land_requests, 0)
   or coalesce(nation.land_approved, 0) <> coalesce(regions.land_approved, 0)
   or coalesce(nation.land_pending, 0) <> coalesce(regions.land_pending, 0)
   or coalesce(nation.poles_requested, 0) <> coalesce(regions.poles_requested, 0)
   or coalesce(nation.poles_granted, 0) <> coalesce(regions.poles_granted, 0)
   or coalesce(nation.power_requests, 0) <> coalesce(regions.power_requests, 0)
