with

source as (

    {{ current_rows('pole_access') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as akimat_region_code,
        cast(district_kato as text) as district_code,
        cast(operator as text) as operator,

        ---------- numerics
        cast(poles_requested as bigint) as poles_requested,
        cast(poles_granted as bigint) as poles_granted,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
