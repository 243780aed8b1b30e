{#- The rows of a raw table that count: those of the current submission of each (kind, submitter,
    period, report type), accepted or accepted with warnings. Quarantined rows never reach raw.* and a
    rejected file is never current, so this is the whole rule (docs/methodology.md). -#}
{% macro current_rows(report_type) -%}
    select raw_rows.*
    from {{ source('raw', report_type) }} as raw_rows
    where raw_rows.submission_id in (
        select submissions.submission_id
        from {{ source('raw', 'submissions') }} as submissions
        where submissions.is_current
          and submissions.status in ('accepted', 'accepted_with_warnings')
          and submissions.report_type = '{{ report_type }}'
    )
{%- endmacro %}


{#- Keep one row per key: the last line of the file wins (a later line corrects an earlier one). -#}
{% macro last_line_per(relation, key_columns) -%}
    select *
    from (
        select
            numbered.*,
            row_number() over (
                partition by {{ key_columns | join(', ') }}
                order by numbered.source_line desc
            ) as line_rank
        from {{ relation }} as numbered
    ) as ranked
    where line_rank = 1
{%- endmacro %}


{#- A count from a register that a submitter may not have sent: 0 when the register came empty, null when
    it was not submitted for the period (`is_reported` false): "reported nothing" is not "did not report". -#}
{% macro count_if_reported(is_reported, count) -%}
    case when {{ is_reported }} then coalesce({{ count }}, 0) end
{%- endmacro %}
