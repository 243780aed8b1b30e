with

source as (

    {{ current_rows('challenges') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as akimat_region_code,
        cast(challenge_id as text) as challenge_id,
        cast(kato_code as text) as kato_code,
        cast(operator as text) as operator,

        ---------- attributes
        cast(claim as text) as claim,
        cast(evidence as text) as evidence,

        ---------- numerics
        cast(measured_download_mbps as double precision) as measured_download_mbps,
        cast(complaints as bigint) as complaints,

        ---------- dates
        cast(submitted_on as date) as submitted_on,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
