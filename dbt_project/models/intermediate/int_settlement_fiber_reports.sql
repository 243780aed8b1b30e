{#- One row per operator, period and settlement (the last line of a file wins over an earlier duplicate),
    restricted to settlements of the classifier. -#}
with

reports as (

    select * from {{ ref('stg_settlement_fiber') }}

),

deduplicated as (

    {{ last_line_per('reports', ['period', 'operator', 'kato_code']) }}

),

settlements as (

    select kato_code, region_code, district_code, is_rural from {{ ref('int_settlements') }}

),

final as (

    select
        ---------- ids
        deduplicated.period,
        deduplicated.operator,
        deduplicated.kato_code,
        settlements.region_code,
        settlements.district_code,

        ---------- attributes
        settlements.is_rural,
        deduplicated.fibre_status,
        (deduplicated.fibre_status = 'connected') as is_connected,

        ---------- numerics
        deduplicated.households_passed,
        deduplicated.households_connected,
        deduplicated.max_speed_mbps,

        ---------- dates
        deduplicated.connected_on,

        ---------- lineage
        deduplicated.submission_id,
        deduplicated.source_line

    from deduplicated
    inner join settlements
        on settlements.kato_code = deduplicated.kato_code

)

select * from final
