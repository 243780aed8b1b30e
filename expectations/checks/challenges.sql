{#- Every challenge as the candidate marts say it stands at the end of the period, set against the
    operators' answers as submitted (staging): an upheld challenge needs an answer in time or a passed
    deadline, a rejected one a contest; a decision is never dated before its challenge. -#}
with

challenges as (

    select * from {{ schema }}.fct_challenges
    where period = '{{ period }}'

),

answers as (

    select challenge_id, operator, response, responded_on
    from {{ staging }}.stg_challenge_responses
    where period <= '{{ period }}'

),

checked as (

    select
        challenges.*,
        cast('{{ period_end }}' as date) as period_end,
        exists(
            select 1 from answers
            where answers.challenge_id = challenges.challenge_id
                and answers.operator = challenges.operator
                and answers.responded_on <= challenges.deadline_on
        ) as answered_in_time,
        exists(
            select 1 from answers
            where answers.challenge_id = challenges.challenge_id
                and answers.operator = challenges.operator
                and answers.responded_on <= challenges.deadline_on
                and answers.response = 'contest'
        ) as contested_in_time
    from challenges

),

final as (

    select
        period,
        region_code,
        challenge_id,
        kato_code,
        operator,
        claim,
        status,
        submitted_on,
        deadline_on,
        responded_on,
        decided_on,
        (status = 'upheld' and not answered_in_time and deadline_on > period_end) as upheld_without_cause,
        (status = 'rejected' and not contested_in_time) as rejected_without_contest,
        (decided_on is not null and decided_on < submitted_on) as decided_before_submitted
    from checked

)

select * from final
