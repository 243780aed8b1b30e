{#- Per period and settlement: fibre over all operators (claims an upheld challenge struck out left out).
    "Largest operator" = the operator reporting the settlement connected with the most households
    connected (ties: operator id order). -#}
with

reported as (

    select * from {{ ref('int_settlement_fiber_reports') }}

),

voids as (

    select period, kato_code, operator from {{ ref('int_claim_voids') }} where claim = 'fibre'

),

-- An upheld challenge strikes the operator's fibre claim out from the period after its decision
-- (int_claim_voids): that operator's "connected" no longer counts for the settlement.
reports as (

    select
        reported.period,
        reported.kato_code,
        reported.operator,
        reported.fibre_status,
        reported.households_passed,
        reported.households_connected,
        reported.connected_on,
        (reported.is_connected and voids.operator is null) as is_connected
    from reported
    left join voids
        on voids.period = reported.period
        and voids.kato_code = reported.kato_code
        and voids.operator = reported.operator

),

connected_ranked as (

    select
        period,
        kato_code,
        operator,
        households_connected,
        row_number() over (
            partition by period, kato_code
            order by households_connected desc, operator asc
        ) as size_rank
    from reports
    where is_connected

),

largest_operator as (

    select period, kato_code, operator as largest_operator, households_connected
    from connected_ranked
    where size_rank = 1

),

by_settlement as (

    select
        period,
        kato_code,
        count(*) as operators_reporting,
        count(*) filter (where is_connected) as operators_connected,
        bool_or(is_connected) as has_fibre,
        bool_or(
            is_connected and connected_on >= cast('{{ var("programme_start") }}' as date)
        ) as is_new_fibre,
        bool_or(fibre_status = 'construction') as has_construction,
        min(connected_on) filter (where is_connected) as first_connected_on,
        max(households_passed) as households_passed,
        {{ text_list("operator || '=' || fibre_status", 'operator') }} as fibre_status_by_operator
    from reports
    group by period, kato_code

),

final as (

    select
        ---------- ids
        by_settlement.period,
        by_settlement.kato_code,

        ---------- status
        case
            when by_settlement.has_fibre then 'connected'
            when by_settlement.has_construction then 'construction'
            else 'planned'
        end as fibre_status,
        by_settlement.fibre_status_by_operator,
        by_settlement.has_fibre,
        by_settlement.is_new_fibre,
        largest_operator.largest_operator as largest_fibre_operator,

        ---------- numerics
        by_settlement.operators_reporting,
        by_settlement.operators_connected,
        by_settlement.households_passed,
        largest_operator.households_connected,

        ---------- dates
        by_settlement.first_connected_on

    from by_settlement
    left join largest_operator
        on largest_operator.period = by_settlement.period
        and largest_operator.kato_code = by_settlement.kato_code

)

select * from final
