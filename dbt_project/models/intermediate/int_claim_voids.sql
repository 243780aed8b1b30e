{#- The claims an upheld challenge has struck out, per period: from the period after the decision on, the
    operator's claim no longer counts in the figures (int_mobile_access, int_settlement_fiber). -#}
with

lifecycle as (

    select * from {{ ref('int_challenge_lifecycle') }}

),

final as (

    select
        period,
        kato_code,
        operator,
        claim,
        min(challenge_id) as challenge_id,
        min(decided_on) as decided_on
    from lifecycle
    where status = 'upheld'
        and effective_from_period <= period
    group by period, kato_code, operator, claim

)

select * from final
