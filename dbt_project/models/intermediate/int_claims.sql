{#- What each operator claims per period and settlement: fibre connected (from settlement_fiber), active
    4G and active 5G sites (from base_stations; a duplicated site line counts once, the last line), with
    the akimat's own view beside it. One row per period, settlement, operator and claim. -#}
with

fibre_reports as (

    select * from {{ ref('int_settlement_fiber_reports') }}
    where is_connected

),

sites as (

    select * from {{ ref('stg_base_stations') }}

),

deduplicated_sites as (

    {{ last_line_per('sites', ['period', 'operator', 'site_id']) }}

),

settlements as (

    select kato_code, region_code from {{ ref('int_settlements') }}

),

akimat_view as (

    select * from {{ ref('int_akimat_settlement_view') }}

),

fibre_claims as (

    select
        period,
        kato_code,
        operator,
        cast('fibre' as text) as claim,
        cast('fixed' as text) as technology,
        households_passed,
        households_connected,
        max_speed_mbps,
        cast(null as bigint) as active_sites
    from fibre_reports

),

mobile_claims as (

    select
        deduplicated_sites.period,
        deduplicated_sites.kato_code,
        deduplicated_sites.operator,
        cast(case deduplicated_sites.technology when '4G' then 'mobile_4g' else 'mobile_5g' end as text)
            as claim,
        cast(deduplicated_sites.technology as text) as technology,
        cast(null as bigint) as households_passed,
        cast(null as bigint) as households_connected,
        cast(null as double precision) as max_speed_mbps,
        cast(count(*) as bigint) as active_sites
    from deduplicated_sites
    inner join settlements
        on settlements.kato_code = deduplicated_sites.kato_code
    where deduplicated_sites.site_status = 'active'
        and deduplicated_sites.technology in ('4G', '5G')
    group by
        deduplicated_sites.period, deduplicated_sites.kato_code, deduplicated_sites.operator,
        deduplicated_sites.technology

),

claims as (

    select * from fibre_claims
    union all
    select * from mobile_claims

),

final as (

    select
        ---------- ids
        claims.period,
        claims.kato_code,
        settlements.region_code,
        claims.operator,
        claims.claim,

        ---------- attributes
        claims.technology,
        akimat_view.akimat_has_fibre,
        akimat_view.akimat_has_mobile_4g,
        {#- The akimat's has_fibre answers a fibre claim; its has_mobile_4g (its only mobile field) a 4G or
            5G claim. No akimat report: no dispute. -#}
        coalesce(
            case
                when claims.claim = 'fibre' then not akimat_view.akimat_has_fibre
                else not akimat_view.akimat_has_mobile_4g
            end,
            false
        ) as is_disputed_by_akimat,

        ---------- numerics
        claims.households_passed,
        claims.households_connected,
        claims.max_speed_mbps,
        claims.active_sites

    from claims
    inner join settlements
        on settlements.kato_code = claims.kato_code
    left join akimat_view
        on akimat_view.period = claims.period
        and akimat_view.kato_code = claims.kato_code

)

select * from final
