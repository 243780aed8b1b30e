with

source as (

    {{ current_rows('settlement_connectivity') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as akimat_region_code,
        cast(kato_code as text) as kato_code,

        ---------- attributes
        cast(has_fibre as boolean) as has_fibre,
        cast(has_mobile_4g as boolean) as has_mobile_4g,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
