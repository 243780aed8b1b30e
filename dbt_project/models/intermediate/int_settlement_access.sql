{#- Every settlement in every period, with the access rule of the methodology: a settlement has
    high-speed internet when at least one operator reports it connected by fibre, or it has an active
    base station of an access technology (4G, 5G). Also its part of the "last mile" figures. -#}
with

periods as (

    select period from {{ ref('int_periods') }}

),

settlements as (

    select * from {{ ref('int_settlements') }}

),

fiber as (

    select * from {{ ref('int_settlement_fiber') }}

),

mobile as (

    select * from {{ ref('int_mobile_access') }}

),

grid as (

    select periods.period, settlements.*
    from periods
    cross join settlements

),

joined as (

    select
        grid.*,
        coalesce(fiber.has_fibre, false) as has_fibre,
        coalesce(fiber.is_new_fibre, false) as is_new_fibre,
        coalesce(mobile.active_broadband_sites, 0) > 0 as has_mobile_broadband,
        fiber.fibre_status,
        fiber.fibre_status_by_operator,
        fiber.largest_fibre_operator,
        coalesce(fiber.operators_reporting, 0) as fibre_operators_reporting,
        coalesce(fiber.operators_connected, 0) as fibre_operators_connected,
        fiber.households_passed,
        fiber.households_connected,
        fiber.first_connected_on,
        coalesce(mobile.active_sites, 0) as active_sites,
        coalesce(mobile.active_broadband_sites, 0) as active_broadband_sites,
        mobile.best_mobile_technology
    from grid
    left join fiber
        on fiber.period = grid.period
        and fiber.kato_code = grid.kato_code
    left join mobile
        on mobile.period = grid.period
        and mobile.kato_code = grid.kato_code

),

final as (

    select
        joined.*,
        (joined.has_fibre or joined.has_mobile_broadband) as has_high_speed_internet,
        case
            when joined.has_fibre or joined.has_mobile_broadband then joined.population else 0
        end as population_with_access,
        (joined.is_rural and joined.is_new_fibre) as is_last_mile,
        case
            when joined.is_rural and joined.is_new_fibre then coalesce(joined.households_connected, 0)
            else 0
        end as last_mile_households,
        case
            when joined.is_rural and joined.is_new_fibre
                then coalesce(joined.households_connected, 0) * coalesce(joined.persons_per_household, 0)
            else 0
        end as last_mile_people
    from joined

)

select * from final
