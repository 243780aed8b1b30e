with

source as (

    {{ current_rows('power_connections') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as akimat_region_code,
        cast(site_id as text) as site_id,
        cast(operator as text) as operator,

        ---------- dates
        cast(requested_on as date) as requested_on,
        cast(conditions_issued_on as date) as conditions_issued_on,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
