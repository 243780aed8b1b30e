{#- Every settlement of the classifier (villages, towns, cities) with its district and region, conformed
    through the KATO parent chain: settlement → rural district (or town administration) → district. -#}
with

kato as (

    select * from {{ ref('stg_reference_kato') }}

),

settlements as (

    select * from kato where kato_level = 'settlement'

),

rural_districts as (

    select kato_code, parent_code from kato where kato_level = 'rural_district'

),

final as (

    select
        ---------- ids
        settlements.kato_code,
        settlements.region_code,
        rural_districts.parent_code as district_code,
        settlements.parent_code as rural_district_code,

        ---------- names
        settlements.name_kk,
        settlements.name_ru,
        settlements.name_en,

        ---------- attributes
        settlements.settlement_type,
        settlements.is_rural,
        settlements.is_5g_city,

        ---------- numerics
        coalesce(settlements.population, 0) as population,
        coalesce(settlements.households, 0) as households,
        settlements.area_km2,
        {{ safe_divide('settlements.population', 'settlements.households') }} as persons_per_household

    from settlements
    left join rural_districts
        on rural_districts.kato_code = settlements.parent_code

)

select * from final
