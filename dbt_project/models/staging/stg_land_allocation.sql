with

source as (

    {{ current_rows('land_allocation') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as akimat_region_code,
        cast(request_id as text) as request_id,
        cast(operator as text) as operator,
        cast(kato_code as text) as kato_code,

        ---------- attributes
        cast(purpose as text) as purpose,
        cast(decision as text) as decision,

        ---------- dates
        cast(requested_on as date) as requested_on,
        cast(decided_on as date) as decided_on,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
