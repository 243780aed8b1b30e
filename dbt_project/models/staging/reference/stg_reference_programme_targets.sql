with

source as (

    select * from {{ source('reference', 'programme_targets') }}

),

renamed as (

    select
        ---------- ids
        cast(indicator as text) as indicator,

        ---------- attributes
        cast(unit as text) as unit,
        cast(description_en as text) as description_en,
        cast(description_ru as text) as description_ru,
        cast(description_kk as text) as description_kk,
        cast(source as text) as target_source,

        ---------- numerics
        cast(target as double precision) as target,

        ---------- dates
        cast(deadline as date) as deadline

    from source

)

select * from renamed
