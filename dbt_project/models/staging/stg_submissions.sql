with

source as (

    select * from {{ source('raw', 'submissions') }}

),

renamed as (

    select
        ---------- ids
        cast(submission_id as text) as submission_id,
        cast(kind as text) as kind,
        cast(submitter as text) as submitter,
        cast(period as text) as period,
        cast(report_type as text) as report_type,

        ---------- status
        cast(status as text) as status,
        cast(is_current as boolean) as is_current,
        cast(superseded_by as text) as superseded_by,

        ---------- numerics
        cast(rows_read as bigint) as rows_read,
        cast(rows_loaded as bigint) as rows_loaded,
        cast(rows_quarantined as bigint) as rows_quarantined,

        ---------- file
        cast(source_key as text) as source_key,
        cast(sha256 as text) as sha256,
        cast(contract_version as text) as contract_version,

        ---------- timestamps
        received_at

    from source

),

final as (

    select
        renamed.*,
        (renamed.is_current and renamed.status in ('accepted', 'accepted_with_warnings')) as counts_for_period
    from renamed

)

select * from final
