{#- Every settlement of the period with the operators' fibre (any operator reports it connected) and its
    akimat's has_fibre, one row per operator reporting it connected (operator empty when none does),
    with the region's share of settlements where both agree. -#}
with

settlements as (

    select
        period,
        kato_code,
        region_code,
        has_fibre,
        akimat_has_fibre,
        fibre_agrees_with_akimat as agrees
    from {{ schema }}.fct_settlement_connectivity
    where period = '{{ period }}'

),

regions as (

    select
        region_code,
        count(agrees) as settlements_compared,
        sum(case when agrees then 1 else 0 end) as settlements_agreeing
    from settlements
    group by region_code

),

akimat_files as (

    select submitter as region_code, submission_id
    from {{ staging }}.stg_submissions
    where counts_for_period
        and period = '{{ period }}'
        and kind = 'akimat'
        and report_type = 'settlement_connectivity'

),

akimat_lines as (

    select kato_code, submission_id, max(source_line) as source_line
    from {{ staging }}.stg_settlement_connectivity
    where period = '{{ period }}'
    group by kato_code, submission_id

),

connected as (

    select kato_code, operator, submission_id, source_line
    from {{ intermediate }}.int_settlement_fiber_reports
    where period = '{{ period }}' and is_connected

),

final as (

    select
        settlements.period,
        settlements.kato_code,
        settlements.region_code,
        connected.operator,
        settlements.has_fibre,
        settlements.akimat_has_fibre,
        settlements.agrees,
        (akimat_files.submission_id is not null) as akimat_reported,
        cast(regions.settlements_compared as bigint) as settlements_compared,
        cast(regions.settlements_agreeing as bigint) as settlements_agreeing,
        cast(
            100.0 * regions.settlements_agreeing / nullif(regions.settlements_compared, 0) as double precision
        ) as region_agreement_share,
        concat_ws(';', connected.submission_id, akimat_files.submission_id) as submission_ids,
        concat_ws(
            ';',
            connected.submission_id || ':' || cast(connected.source_line as text),
            akimat_lines.submission_id || ':' || cast(akimat_lines.source_line as text)
        ) as source_lines
    from settlements
    left join regions
        on regions.region_code = settlements.region_code
    left join akimat_files
        on akimat_files.region_code = settlements.region_code
    left join akimat_lines
        on akimat_lines.kato_code = settlements.kato_code
        and akimat_lines.submission_id = akimat_files.submission_id
    left join connected
        on connected.kato_code = settlements.kato_code

)

select * from final
