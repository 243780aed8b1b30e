with

source as (

    {{ current_rows('city_5g') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as operator,
        cast(city_kato as text) as city_kato,

        ---------- numerics
        cast(covered_area_km2 as double precision) as covered_area_km2,
        cast(sites_5g as bigint) as sites_5g,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
