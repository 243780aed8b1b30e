{#- Per period and settlement (every settlement of the classifier): fibre by operator and overall, the
    best mobile technology, high-speed access and the population it reaches, the akimat's own view, and
    the speeds measured there. -#}
with

access as (

    select * from {{ ref('int_settlement_access') }}

),

akimat_view as (

    select * from {{ ref('int_akimat_settlement_view') }}

),

speeds as (

    select period, area_code as kato_code, tests, median_download_mbps, median_latency_ms
    from {{ ref('fct_speed_tests_summary') }}
    where area_level = 'settlement'
        and operator = 'all'
        and technology = 'all'

),

final as (

    select
        ---------- ids
        cast(access.period as text) as period,
        cast(access.kato_code as text) as kato_code,
        cast(access.region_code as text) as region_code,
        cast(access.district_code as text) as district_code,

        ---------- settlement
        cast(access.name_kk as text) as name_kk,
        cast(access.name_ru as text) as name_ru,
        cast(access.name_en as text) as name_en,
        cast(access.settlement_type as text) as settlement_type,
        cast(access.is_rural as boolean) as is_rural,
        cast(access.population as bigint) as population,
        cast(access.households as bigint) as households,

        ---------- fibre
        cast(coalesce(access.fibre_status, 'none') as text) as fibre_status,
        cast(access.fibre_status_by_operator as text) as fibre_status_by_operator,
        cast(access.fibre_operators_reporting as bigint) as fibre_operators_reporting,
        cast(access.fibre_operators_connected as bigint) as fibre_operators_connected,
        cast(access.has_fibre as boolean) as has_fibre,
        cast(access.is_new_fibre as boolean) as is_new_fibre,
        cast(access.first_connected_on as date) as first_connected_on,
        cast(access.largest_fibre_operator as text) as largest_fibre_operator,
        cast(access.households_passed as bigint) as households_passed,
        cast(access.households_connected as bigint) as households_connected,

        ---------- mobile
        cast(access.best_mobile_technology as text) as best_mobile_technology,
        cast(access.active_sites as bigint) as active_sites,
        cast(access.active_broadband_sites as bigint) as active_broadband_sites,
        cast(access.has_mobile_broadband as boolean) as has_mobile_broadband,

        ---------- access
        cast(access.has_high_speed_internet as boolean) as has_high_speed_internet,
        cast(access.population_with_access as bigint) as population_with_access,

        ---------- last mile
        cast(access.is_last_mile as boolean) as is_last_mile,
        cast(access.last_mile_households as bigint) as last_mile_households,
        cast(access.last_mile_people as double precision) as last_mile_people,

        ---------- akimat's view
        cast(akimat_view.akimat_has_fibre as boolean) as akimat_has_fibre,
        cast(akimat_view.akimat_has_mobile_4g as boolean) as akimat_has_mobile_4g,
        cast(akimat_view.akimat_has_fibre = access.has_fibre as boolean) as fibre_agrees_with_akimat,

        ---------- measured speeds
        cast(coalesce(speeds.tests, 0) as bigint) as speed_tests,
        cast(speeds.median_download_mbps as double precision) as median_download_mbps,
        cast(speeds.median_latency_ms as double precision) as median_latency_ms

    from access
    left join akimat_view
        on akimat_view.period = access.period
        and akimat_view.kato_code = access.kato_code
    left join speeds
        on speeds.period = access.period
        and speeds.kato_code = access.kato_code

)

select * from final
