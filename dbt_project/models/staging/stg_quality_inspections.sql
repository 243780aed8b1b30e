with

source as (

    {{ current_rows('quality_inspections') }}

),

renamed as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(submitter as text) as akimat_region_code,
        cast(inspection_id as text) as inspection_id,
        cast(kato_code as text) as kato_code,
        cast(operator as text) as operator,

        ---------- attributes
        cast(technology as text) as technology,
        cast(violation as boolean) as is_violation,
        cast(fine_paid as boolean) as is_fine_paid,

        ---------- numerics
        cast(measured_download_mbps as double precision) as measured_download_mbps,
        cast(required_download_mbps as double precision) as required_download_mbps,
        cast(fine_kzt as double precision) as fine_kzt,

        ---------- dates
        cast(inspected_on as date) as inspected_on,

        ---------- lineage
        cast(submission_id as text) as submission_id,
        cast(source_line as bigint) as source_line

    from source

)

select * from renamed
