{#- The periods the marts are built for: every month with at least one submission that counts. -#}
with

submissions as (

    select * from {{ ref('stg_submissions') }} where counts_for_period

),

periods as (

    select distinct period from submissions

),

final as (

    select
        period,
        {{ period_start('period') }} as period_start,
        {{ period_end('period') }} as period_end,
        {{ period_index('period') }} as period_index
    from periods

)

select * from final
