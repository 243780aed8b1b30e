{#- Akimats' land-plot requests: one row per request of a register (the last line wins over an earlier
    duplicate), with the days it took to decide. -#}
with

requests as (

    select * from {{ ref('stg_land_allocation') }}

),

deduplicated as (

    {{ last_line_per('requests', ['period', 'akimat_region_code', 'request_id']) }}

),

final as (

    select
        ---------- ids
        period,
        akimat_region_code as region_code,
        request_id,
        operator,
        kato_code,

        ---------- attributes
        purpose,
        decision,
        (decision in ('approved', 'rejected')) as is_decided,

        ---------- dates
        requested_on,
        decided_on,
        case
            when decision in ('approved', 'rejected') and decided_on is not null
                then {{ days_between('requested_on', 'decided_on') }}
        end as days_to_decide

    from deduplicated

)

select * from final
