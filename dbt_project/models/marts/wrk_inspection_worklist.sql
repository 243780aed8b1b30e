{#- Each akimat's inspection worklist per period: the settlements of its region where a claim is
    contradicted by measurement or disputed by the akimat, ranked with the most people affected first
    (then the most such claims, then the KATO code), with the evidence. Written to the akimat's own,
    non-public area (qamtu.publish.worklists), never published. -#}
with

verdicts as (

    select * from {{ ref('int_claim_verdicts') }}
    where verdict in ('contradicted', 'disputed')

),

settlements as (

    select kato_code, name_ru, name_kk, name_en, population from {{ ref('int_settlements') }}

),

flagged as (

    select
        period,
        region_code,
        kato_code,
        count(*) filter (where verdict = 'contradicted') as claims_contradicted,
        count(*) filter (where verdict = 'disputed') as claims_disputed,
        min(median_download_mbps) filter (where verdict = 'contradicted') as lowest_median_download_mbps,
        max(speed_shortfall_share) as largest_speed_shortfall_share,
        {{ text_list("operator || ':' || claim || '=' || verdict || ' (' || cast(tests as text) || ' tests'"
                     " || coalesce(', median ' || cast(cast(round(cast(median_download_mbps as numeric), 2) as double precision) as text), '')"
                     " || ')'", 'operator, claim') }} as evidence
    from verdicts
    group by period, region_code, kato_code

),

ranked as (

    select
        flagged.*,
        settlements.name_ru,
        settlements.name_kk,
        settlements.name_en,
        settlements.population,
        row_number() over (
            partition by flagged.period, flagged.region_code
            order by
                settlements.population desc,
                flagged.claims_contradicted + flagged.claims_disputed desc,
                flagged.kato_code
        ) as worklist_rank
    from flagged
    inner join settlements
        on settlements.kato_code = flagged.kato_code

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(region_code as text) as region_code,
        cast(worklist_rank as bigint) as worklist_rank,
        cast(kato_code as text) as kato_code,

        ---------- names
        cast(name_kk as text) as name_kk,
        cast(name_ru as text) as name_ru,
        cast(name_en as text) as name_en,

        ---------- numerics
        cast(population as bigint) as population,
        cast(claims_contradicted as bigint) as claims_contradicted,
        cast(claims_disputed as bigint) as claims_disputed,
        cast(lowest_median_download_mbps as double precision) as lowest_median_download_mbps,
        cast(largest_speed_shortfall_share as double precision) as largest_speed_shortfall_share,

        ---------- attributes
        cast(evidence as text) as evidence

    from ranked

)

select * from final
