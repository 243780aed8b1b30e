{#- One row per period, area ('KZ' = the nation, else a region) and headline indicator: the actual value
    against the programme target, the monthly pace, the pace needed to meet the deadline, the forecast
    month and whether the target is on track (docs/methodology.md, "Progress and forecast").

    - monthly pace: (actual − actual k periods earlier) ÷ months between them, k = pace_window_months,
      fewer at the start (none in the first period);
    - pace needed: the gap still to close ÷ months from the period to the deadline's month (0 once met);
    - forecast: the month the current pace reaches the target (none when the pace is ≤ 0);
    - on_track: met already, or the forecast month is on or before the deadline's month.
    Targets are national: regional rows carry the actual and the pace, not the target. -#}
with

statuses as (

    select * from {{ ref('int_figure_status') }}

),

actuals as (

    select
        actuals.period,
        actuals.region_code,
        actuals.indicator,
        -- A figure withheld for a missing critical report (M) is published without a value.
        case when statuses.obs_status = 'M' then null else actuals.actual end as actual,
        coalesce(statuses.obs_status, 'A') as obs_status,
        statuses.status_reason,
        {{ period_index('actuals.period') }} as period_index,
        row_number() over (partition by actuals.region_code, actuals.indicator order by actuals.period)
            as series_position
    from {{ ref('int_programme_actuals') }} as actuals
    left join statuses
        on statuses.period = actuals.period
        and statuses.region_code = actuals.region_code
        and statuses.indicator = actuals.indicator

),

targets as (

    select
        indicator,
        unit,
        target,
        deadline,
        {{ period_index(period_of_date('deadline')) }} as deadline_index
    from {{ ref('stg_reference_programme_targets') }}

),

paced as (

    select
        current_period.*,
        {{ safe_divide(
            'current_period.actual - window_start.actual',
            'current_period.period_index - window_start.period_index'
        ) }} as monthly_pace
    from actuals as current_period
    left join actuals as window_start
        on window_start.region_code = current_period.region_code
        and window_start.indicator = current_period.indicator
        and window_start.series_position = greatest(
            current_period.series_position - {{ var('pace_window_months') }}, 1
        )
        and window_start.series_position < current_period.series_position

),

with_targets as (

    select
        paced.*,
        targets.unit,
        case when paced.region_code = {{ nation_code() }} then targets.target end as target,
        case
            when paced.region_code = {{ nation_code() }} and targets.target is not null then targets.deadline
        end as deadline,
        case
            when paced.region_code = {{ nation_code() }} and targets.target is not null
                then targets.deadline_index - paced.period_index
        end as months_left
    from paced
    left join targets
        on targets.indicator = paced.indicator

),

forecast as (

    select
        *,
        case
            when target is null or actual is null then null
            when actual >= target then 0
            when monthly_pace > 0 then cast(ceil((target - actual) / monthly_pace) as bigint)
        end as months_to_target
    from with_targets

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(region_code as text) as region_code,
        cast(indicator as text) as indicator,

        ---------- value
        cast(actual as double precision) as actual,
        cast(unit as text) as unit,
        cast(obs_status as text) as obs_status,
        cast(status_reason as text) as status_reason,

        ---------- target
        cast(target as double precision) as target,
        cast(deadline as date) as deadline,
        cast({{ share_pct('actual', 'target') }} as double precision) as pct_of_target,

        ---------- pace
        cast(monthly_pace as double precision) as monthly_pace,
        cast(months_left as bigint) as months_left,
        cast(
            case
                when target is null or actual is null or months_left is null then null
                when actual >= target then 0
                when months_left > 0 then (target - actual) / months_left
            end as double precision
        ) as pace_needed,

        ---------- forecast
        cast(
            case
                when months_to_target is not null
                    then {{ period_from_index('period_index + months_to_target') }}
            end as text
        ) as forecast_period,
        cast(
            case
                when target is null or actual is null then null
                when actual >= target then true
                when months_to_target is null then false
                else period_index + months_to_target <= period_index + months_left
            end as boolean
        ) as on_track

    from forecast

)

select * from final
