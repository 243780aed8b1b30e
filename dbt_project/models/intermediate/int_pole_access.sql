{#- Power-line pole access per district and operator (the last line wins over an earlier duplicate). -#}
with

grants as (

    select * from {{ ref('stg_pole_access') }}

),

deduplicated as (

    {{ last_line_per('grants', ['period', 'akimat_region_code', 'district_code', 'operator']) }}

),

final as (

    select
        period,
        akimat_region_code as region_code,
        district_code,
        operator,
        poles_requested,
        poles_granted
    from deduplicated

)

select * from final
