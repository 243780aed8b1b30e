{#- Base-station sites waiting for technical conditions for connection to electricity: one row per site
    and operator of a register, with the wait (to the conditions, or to the month's end while pending). -#}
with

sites as (

    select * from {{ ref('stg_power_connections') }}

),

deduplicated as (

    {{ last_line_per('sites', ['period', 'akimat_region_code', 'site_id', 'operator']) }}

),

final as (

    select
        ---------- ids
        period,
        akimat_region_code as region_code,
        site_id,
        operator,

        ---------- attributes
        (conditions_issued_on is null) as is_pending,

        ---------- dates
        requested_on,
        conditions_issued_on,
        case
            when conditions_issued_on is not null
                then {{ days_between('requested_on', 'conditions_issued_on') }}
        end as days_to_conditions,
        case
            when conditions_issued_on is null then {{ days_between('requested_on', period_end('period')) }}
        end as days_waiting

    from deduplicated

)

select * from final
