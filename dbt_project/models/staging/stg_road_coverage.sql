with

source as (

    {{ current_rows('road_coverage') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as operator,
        cast(road_code as text) as road_code,

        ---------- attributes
        cast(technology as text) as technology,

        ---------- numerics
        cast(km_from as double precision) as km_from,
        cast(km_to as double precision) as km_to,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
