with

source as (

    {{ current_rows('settlement_fiber') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as operator,
        cast(kato_code as text) as kato_code,

        ---------- attributes
        cast(settlement_name as text) as settlement_name,
        cast(status as text) as fibre_status,

        ---------- numerics
        cast(households_passed as bigint) as households_passed,
        cast(households_connected as bigint) as households_connected,
        cast(max_speed_mbps as double precision) as max_speed_mbps,

        ---------- dates
        cast(connected_on as date) as connected_on,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
