{#- Challenge statistics per period, region ('KZ' = the country) and operator ('all'): challenges received
    up to the period's end and in it, their status at its end, the citizens' complaints behind them (a
    count) and the median days from submission to decision. -#}
with

lifecycle as (

    select * from {{ ref('int_challenge_lifecycle') }}

),

summarised as (

    select
        period,
        region_code,
        operator,
        grouping(region_code) as region_rolled_up,
        grouping(operator) as operator_rolled_up,
        count(*) as received,
        count(*) filter (where challenge_period = period) as received_in_period,
        count(*) filter (where status = 'open') as open_challenges,
        count(*) filter (where status = 'answered') as answered,
        count(*) filter (where status = 'upheld') as upheld,
        count(*) filter (where status = 'rejected') as rejected,
        count(*) filter (where status = 'upheld' and {{ period_of_date('decided_on') }} = period)
            as upheld_in_period,
        sum(complaints) as complaints,
        {{ median('days_to_resolve') }} as median_days_to_resolve
    from lifecycle
    group by grouping sets (
        (period, region_code, operator),
        (period, region_code),
        (period, operator),
        (period)
    )

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(case when region_rolled_up = 0 then region_code else {{ nation_code() }} end as text)
            as region_code,
        cast(case when operator_rolled_up = 0 then operator else 'all' end as text) as operator,

        ---------- numerics
        cast(received as bigint) as received,
        cast(received_in_period as bigint) as received_in_period,
        cast(open_challenges as bigint) as open_challenges,
        cast(answered as bigint) as answered,
        cast(upheld as bigint) as upheld,
        cast(rejected as bigint) as rejected,
        cast(upheld_in_period as bigint) as upheld_in_period,
        cast(complaints as bigint) as complaints,
        cast(median_days_to_resolve as double precision) as median_days_to_resolve

    from summarised

)

select * from final
