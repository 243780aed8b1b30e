{#- The operators' answers of the period, each against the challenge it answers as the candidate marts know
    it at the period's end (a challenge of that operator's claim, and its response deadline). -#}
with

answers as (

    select * from {{ staging }}.stg_challenge_responses
    where period = '{{ period }}'

),

challenges as (

    select challenge_id, operator, region_code, kato_code, deadline_on
    from {{ schema }}.fct_challenges
    where period = '{{ period }}'

),

final as (

    select
        answers.period,
        answers.operator,
        answers.challenge_id,
        answers.response,
        answers.responded_on,
        challenges.region_code,
        challenges.kato_code,
        challenges.deadline_on,
        (challenges.challenge_id is not null) as challenge_known,
        (challenges.challenge_id is null or answers.responded_on <= challenges.deadline_on) as in_time,
        answers.submission_id,
        answers.source_line
    from answers
    left join challenges
        on challenges.challenge_id = answers.challenge_id
        and challenges.operator = answers.operator

)

select * from final
