{#- The akimats' own view of their settlements (fibre, 4G): one row per period and settlement (the last
    line wins over an earlier duplicate), to reconcile with what the operators report. -#}
with

views as (

    select * from {{ ref('stg_settlement_connectivity') }}

),

deduplicated as (

    {{ last_line_per('views', ['period', 'kato_code']) }}

),

final as (

    select
        period,
        kato_code,
        akimat_region_code,
        has_fibre as akimat_has_fibre,
        has_mobile_4g as akimat_has_mobile_4g
    from deduplicated

)

select * from final
