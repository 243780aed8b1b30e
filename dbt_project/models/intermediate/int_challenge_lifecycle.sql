{#- Every challenge as it stands at the end of each period from the one it was submitted in: the rules of a
    challenge's life, written once (docs/methodology.md, "Challenges"; deadlines: vars
    challenge_response_days / challenge_review_days = the challenges contract's x-deadlines).

    open      → the operator has not answered and the response deadline (submitted_on + response days)
                has not passed;
    upheld    ← the operator accepted (on its answer's date), or did not answer by the deadline (on the
                deadline), or contested and the review found the claim contradicted by measurement in the
                month the challenge was submitted (review days after the answer);
    answered  → contested, under review;
    rejected  ← contested and the review did not find the claim contradicted.
    Only an answer from the challenged operator, given in a period up to this one and by the deadline,
    counts (the first of them); a late answer changes nothing. -#}
with

periods as (

    select period, period_end from {{ ref('int_periods') }}

),

submitted as (

    select * from {{ ref('stg_challenges') }}

),

challenges as (

    {#- A challenge number counts once: its first submission month, the last line of that file. -#}
    select *
    from (
        select
            submitted.*,
            row_number() over (
                partition by submitted.akimat_region_code, submitted.challenge_id
                order by submitted.period asc, submitted.source_line desc
            ) as challenge_rank
        from submitted
    ) as ranked
    where challenge_rank = 1

),

responses as (

    select * from {{ ref('stg_challenge_responses') }}

),

verdicts as (

    select period, kato_code, operator, claim, verdict from {{ ref('int_claim_verdicts') }}

),

grid as (

    select
        periods.period,
        periods.period_end,
        challenges.period as challenge_period,
        challenges.akimat_region_code as region_code,
        challenges.challenge_id,
        challenges.kato_code,
        challenges.operator,
        challenges.claim,
        challenges.evidence,
        challenges.complaints,
        challenges.submitted_on,
        cast(challenges.submitted_on + {{ var('challenge_response_days') }} as date) as deadline_on
    from periods
    inner join challenges
        on challenges.period <= periods.period

),

valid_responses as (

    select *
    from (
        select
            grid.period,
            grid.challenge_id,
            grid.region_code,
            responses.response,
            responses.responded_on,
            row_number() over (
                partition by grid.period, grid.region_code, grid.challenge_id
                order by responses.responded_on, responses.period, responses.source_line
            ) as response_rank
        from grid
        inner join responses
            on responses.challenge_id = grid.challenge_id
            and responses.operator = grid.operator
            and responses.period <= grid.period
            and responses.responded_on <= grid.deadline_on
    ) as ranked
    where response_rank = 1

),

joined as (

    select
        grid.*,
        valid_responses.response,
        valid_responses.responded_on,
        cast(valid_responses.responded_on + {{ var('challenge_review_days') }} as date) as review_ends_on,
        verdicts.verdict as claim_verdict_when_submitted
    from grid
    left join valid_responses
        on valid_responses.period = grid.period
        and valid_responses.region_code = grid.region_code
        and valid_responses.challenge_id = grid.challenge_id
    left join verdicts
        on verdicts.period = grid.challenge_period
        and verdicts.kato_code = grid.kato_code
        and verdicts.operator = grid.operator
        and verdicts.claim = grid.claim

),

decided as (

    select
        joined.*,
        cast(
            case
                when joined.response = 'accept' then 'upheld'
                when joined.response = 'contest' and joined.review_ends_on <= joined.period_end
                    then
                        case
                            when joined.claim_verdict_when_submitted = 'contradicted' then 'upheld'
                            else 'rejected'
                        end
                when joined.response = 'contest' then 'answered'
                when joined.deadline_on <= joined.period_end then 'upheld'
                else 'open'
            end as text
        ) as status,
        case
            when joined.response = 'accept' then joined.responded_on
            when joined.response = 'contest' and joined.review_ends_on <= joined.period_end
                then joined.review_ends_on
            when joined.response is null and joined.deadline_on <= joined.period_end then joined.deadline_on
        end as decided_on
    from joined

),

final as (

    select
        ---------- ids
        period,
        region_code,
        challenge_id,
        kato_code,
        operator,
        claim,

        ---------- attributes
        challenge_period,
        evidence,
        response,
        claim_verdict_when_submitted,
        status,
        (status in ('upheld', 'rejected')) as is_resolved,
        {#- An upheld challenge changes the settlement's status from the period after its decision on. -#}
        case
            when status = 'upheld'
                then {{ period_from_index(period_index(period_of_date('decided_on')) ~ ' + 1') }}
        end as effective_from_period,

        ---------- numerics
        cast(coalesce(complaints, 0) as bigint) as complaints,
        case
            when decided_on is not null then {{ days_between('submitted_on', 'decided_on') }}
        end as days_to_resolve,

        ---------- dates
        submitted_on,
        deadline_on,
        responded_on,
        decided_on,
        period_end

    from decided

)

select * from final
