{#- Claims against measurements, per period, settlement, operator and claim (docs/methodology.md): what the
    operator claims, what the akimat reports and what the speed tests measured, with the verdict, and the
    challenge that struck the claim out, if one did. -#}
with

verdicts as (

    select * from {{ ref('int_claim_verdicts') }}

),

voids as (

    select * from {{ ref('int_claim_voids') }}

),

final as (

    select
        ---------- ids
        cast(verdicts.period as text) as period,
        cast(verdicts.kato_code as text) as kato_code,
        cast(verdicts.region_code as text) as region_code,
        cast(verdicts.operator as text) as operator,
        cast(verdicts.claim as text) as claim,

        ---------- attributes
        cast(verdicts.technology as text) as technology,
        cast(verdicts.verdict as text) as verdict,
        cast(verdicts.akimat_has_fibre as boolean) as akimat_has_fibre,
        cast(verdicts.akimat_has_mobile_4g as boolean) as akimat_has_mobile_4g,
        cast(verdicts.is_disputed_by_akimat as boolean) as is_disputed_by_akimat,
        cast(voids.challenge_id as text) as struck_out_by_challenge,

        ---------- numerics
        cast(verdicts.households_passed as bigint) as households_passed,
        cast(verdicts.households_connected as bigint) as households_connected,
        cast(verdicts.max_speed_mbps as double precision) as max_speed_mbps,
        cast(verdicts.active_sites as bigint) as active_sites,
        cast(verdicts.tests as bigint) as tests,
        cast(verdicts.median_download_mbps as double precision) as median_download_mbps,
        cast(verdicts.p10_download_mbps as double precision) as p10_download_mbps,
        cast(verdicts.speed_shortfall_share as double precision) as speed_shortfall_share

    from verdicts
    left join voids
        on voids.period = verdicts.period
        and voids.kato_code = verdicts.kato_code
        and voids.operator = verdicts.operator
        and voids.claim = verdicts.claim

)

select * from final
