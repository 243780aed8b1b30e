{#- How operators' claims fare against measurements, per period, region ('KZ' = the country) and operator
    ('all' = every operator): claims by verdict, the share the speed tests confirm, and the settlements
    where a claim is contradicted or disputed (the published "disputed settlements"). -#}
with

verdicts as (

    select * from {{ ref('int_claim_verdicts') }}

),

summarised as (

    select
        period,
        region_code,
        operator,
        grouping(region_code) as region_rolled_up,
        grouping(operator) as operator_rolled_up,
        count(*) as claims,
        count(*) filter (where verdict = 'confirmed') as claims_confirmed,
        count(*) filter (where verdict = 'contradicted') as claims_contradicted,
        count(*) filter (where verdict = 'disputed') as claims_disputed,
        count(*) filter (where verdict = 'unverified') as claims_unverified,
        count(distinct case when verdict = 'contradicted' then kato_code end) as settlements_contradicted,
        count(distinct case when verdict = 'disputed' then kato_code end) as settlements_disputed,
        count(distinct case when verdict in ('contradicted', 'disputed') then kato_code end)
            as settlements_flagged
    from verdicts
    group by grouping sets (
        (period, region_code, operator),
        (period, region_code),
        (period, operator),
        (period)
    )

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(case when region_rolled_up = 0 then region_code else {{ nation_code() }} end as text)
            as region_code,
        cast(case when operator_rolled_up = 0 then operator else 'all' end as text) as operator,

        ---------- numerics
        cast(claims as bigint) as claims,
        cast(claims_confirmed as bigint) as claims_confirmed,
        cast(claims_contradicted as bigint) as claims_contradicted,
        cast(claims_disputed as bigint) as claims_disputed,
        cast(claims_unverified as bigint) as claims_unverified,
        cast({{ share_pct('claims_confirmed', 'claims') }} as double precision) as confirmed_share,
        cast(
            {{ share_pct('claims_confirmed', 'claims_confirmed + claims_contradicted') }} as double precision
        ) as confirmed_share_of_measured,
        cast(settlements_contradicted as bigint) as settlements_contradicted,
        cast(settlements_disputed as bigint) as settlements_disputed,
        cast(settlements_flagged as bigint) as settlements_flagged

    from summarised

)

select * from final
