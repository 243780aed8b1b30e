{#- Internet-quality inspections of the month (the last line wins over an earlier duplicate), by the
    inspecting akimat's region. -#}
with

inspections as (

    select * from {{ ref('stg_quality_inspections') }}

),

deduplicated as (

    {{ last_line_per('inspections', ['period', 'akimat_region_code', 'inspection_id']) }}

),

final as (

    select
        ---------- ids
        period,
        akimat_region_code as region_code,
        inspection_id,
        kato_code,
        operator,

        ---------- attributes
        technology,
        coalesce(is_violation, false) as is_violation,
        coalesce(fine_kzt, 0) > 0 as is_fined,
        coalesce(is_fine_paid, false) as is_fine_paid,
        (measured_download_mbps < required_download_mbps) as is_below_required,

        ---------- numerics
        measured_download_mbps,
        required_download_mbps,
        coalesce(fine_kzt, 0) as fine_kzt,

        ---------- dates
        inspected_on

    from deduplicated

)

select * from final
