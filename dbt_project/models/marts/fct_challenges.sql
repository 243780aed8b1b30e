{#- Every akimat challenge as it stands at the end of each period (the life rules: int_challenge_lifecycle).
    No personal data: citizens' complaints are a count. -#}
with

lifecycle as (

    select * from {{ ref('int_challenge_lifecycle') }}

),

final as (

    select
        ---------- ids
        cast(period as text) as period,
        cast(region_code as text) as region_code,
        cast(challenge_id as text) as challenge_id,
        cast(kato_code as text) as kato_code,
        cast(operator as text) as operator,
        cast(claim as text) as claim,

        ---------- attributes
        cast(challenge_period as text) as challenge_period,
        cast(evidence as text) as evidence,
        cast(response as text) as response,
        cast(status as text) as status,
        cast(claim_verdict_when_submitted as text) as claim_verdict_when_submitted,
        cast(effective_from_period as text) as effective_from_period,

        ---------- numerics
        cast(complaints as bigint) as complaints,
        cast(days_to_resolve as bigint) as days_to_resolve,

        ---------- dates
        cast(submitted_on as date) as submitted_on,
        cast(deadline_on as date) as deadline_on,
        cast(responded_on as date) as responded_on,
        cast(decided_on as date) as decided_on

    from lifecycle

)

select * from final
