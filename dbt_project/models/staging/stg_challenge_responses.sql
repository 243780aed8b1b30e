with

source as (

    {{ current_rows('challenge_responses') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as operator,
        cast(challenge_id as text) as challenge_id,

        ---------- attributes
        cast(response as text) as response,
        cast(evidence as text) as evidence,

        ---------- dates
        cast(responded_on as date) as responded_on,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
