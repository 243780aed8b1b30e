{#- Each claim set against the measurement platform's speed tests of the same operator and technology in
    the settlement, and judged (docs/methodology.md, "Claims against measurements"):
    measurements first — at least var claims_min_tests tests whose median download is below
    var claims_high_speed_mbps contradict the claim —, then the akimat — its own report of the opposite
    disputes it —, else enough tests confirm it, and too few leave it unverified. -#}
with

claims as (

    select * from {{ ref('int_claims') }}

),

measured as (

    select
        period, area_code as kato_code, operator, technology, tests, median_download_mbps, p10_download_mbps
    from {{ ref('fct_speed_tests_summary') }}
    where area_level = 'settlement'

),

joined as (

    select
        claims.*,
        cast(coalesce(measured.tests, 0) as bigint) as tests,
        measured.median_download_mbps,
        measured.p10_download_mbps
    from claims
    left join measured
        on measured.period = claims.period
        and measured.kato_code = claims.kato_code
        and measured.operator = claims.operator
        and measured.technology = claims.technology

),

judged as (

    select
        joined.*,
        cast(
            case
                when joined.tests >= {{ var('claims_min_tests') }}
                    and joined.median_download_mbps < {{ var('claims_high_speed_mbps') }} then 'contradicted'
                when joined.is_disputed_by_akimat then 'disputed'
                when joined.tests >= {{ var('claims_min_tests') }} then 'confirmed'
                else 'unverified'
            end as text
        ) as verdict
    from joined

),

final as (

    select
        judged.*,
        {#- How far below the threshold a contradicted claim's median falls, 0–1 (the worklist's
            evidence). -#}
        case
            when judged.verdict = 'contradicted'
                then {{ safe_divide(var('claims_high_speed_mbps') ~ ' - judged.median_download_mbps',
                                    var('claims_high_speed_mbps')) }}
        end as speed_shortfall_share
    from judged

)

select * from final
