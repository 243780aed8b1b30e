{#- Per period and settlement: base stations over all operators (one row per operator site: the last
    line of a file wins over an earlier duplicate). Technologies '2G' < '3G' < '4G' < '5G' sort as text.
    An operator's 4G or 5G sites in a settlement whose claim an upheld challenge struck out
    (int_claim_voids) no longer count from the period after the decision on. -#}
with

sites as (

    select * from {{ ref('stg_base_stations') }}

),

deduplicated as (

    {{ last_line_per('sites', ['period', 'operator', 'site_id']) }}

),

settlements as (

    select kato_code from {{ ref('int_settlements') }}

),

voids as (

    select period, kato_code, operator, claim from {{ ref('int_claim_voids') }}

),

conformed as (

    select deduplicated.*
    from deduplicated
    inner join settlements
        on settlements.kato_code = deduplicated.kato_code
    where
        not exists (
            select 1
            from voids
            where voids.period = deduplicated.period
                and voids.kato_code = deduplicated.kato_code
                and voids.operator = deduplicated.operator
                and voids.claim = case deduplicated.technology
                    when '4G' then 'mobile_4g'
                    when '5G' then 'mobile_5g'
                end
        )

),

final as (

    select
        ---------- ids
        period,
        kato_code,

        ---------- numerics
        count(*) as sites_reported,
        count(*) filter (where site_status = 'active') as active_sites,
        count(*) filter (
            where site_status = 'active'
            and technology in ({{ "'" ~ var('access_technologies') | join("', '") ~ "'" }})
        ) as active_broadband_sites,

        ---------- attributes
        max(technology) filter (where site_status = 'active') as best_mobile_technology

    from conformed
    group by period, kato_code

)

select * from final
