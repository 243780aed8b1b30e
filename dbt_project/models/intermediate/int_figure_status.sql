{#- The SDMX observation status of every headline figure a missing or rejected report touches
    (docs/methodology.md, "Completeness"): one row per period, area and indicator with at least one
    expected report absent (no accepted file counts for the period).

    - a report whose contract says `block` for the indicator withholds the figure (M, missing) in the
      areas its submitter reports for: every area for an operator or the measurement platform, its own
      region for an akimat — whose absence leaves the national figure provisional (P);
    - `flag`: the figure is published, provisional (P), wherever the report feeds it.
    Figures absent from this model are normal (A). -#}
with

policy as (

    select kind, submitter, report_type, indicator, when_missing
    from {{ source('raw', 'report_policy') }}
    where indicator is not null

),

periods as (

    select period from {{ ref('int_periods') }}

),

received as (

    select distinct period, kind, submitter, report_type
    from {{ ref('stg_submissions') }}
    where counts_for_period

),

missing as (

    select
        periods.period,
        policy.kind,
        policy.submitter,
        policy.report_type,
        policy.indicator,
        policy.when_missing
    from periods
    cross join policy
    left join received
        on received.period = periods.period
        and received.kind = policy.kind
        and received.submitter = policy.submitter
        and received.report_type = policy.report_type
    where received.report_type is null

),

areas as (

    select distinct region_code from {{ ref('int_programme_actuals') }}

),

affected as (

    select
        missing.period,
        areas.region_code,
        missing.indicator,
        case
            when missing.when_missing = 'block'
                and (missing.kind <> 'akimat' or areas.region_code = missing.submitter) then 'M'
            else 'P'
        end as obs_status,
        'no accepted ' || missing.report_type || ' from ' || missing.kind || ' ' || missing.submitter
            as reason
    from missing
    inner join areas
        on missing.kind <> 'akimat'
        or areas.region_code in (missing.submitter, {{ nation_code() }})

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(region_code as text) as region_code,
        cast(indicator as text) as indicator,

        ---------- status
        cast(min(obs_status) as text) as obs_status,
        cast(string_agg(reason, '; ' order by reason) as text) as status_reason

    from affected
    group by period, region_code, indicator

)

select * from final
