{#- A view over about 10 million rows a month: no casts that would force a copy, only the columns the
    summary reads, filtered to current submissions (a semi-join on a tiny table). -#}
with

source as (

    {{ current_rows('speed_tests') }}

),

renamed as (

    select
        ---------- ids
        period,
        test_id,
        kato_code,
        operator,

        ---------- attributes
        technology,

        ---------- numerics
        download_mbps,
        upload_mbps,
        latency_ms,

        ---------- timestamps
        measured_at,

        ---------- lineage
        submission_id

    from source

)

select * from renamed
