with

source as (

    {{ current_rows('base_stations') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as operator,
        cast(site_id as text) as site_id,
        cast(kato_code as text) as kato_code,
        cast(road_code as text) as road_code,

        ---------- attributes
        cast(technology as text) as technology,
        cast(status as text) as site_status,

        ---------- numerics
        cast(latitude as double precision) as latitude,
        cast(longitude as double precision) as longitude,

        ---------- dates
        cast(on_air_date as date) as on_air_date,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
