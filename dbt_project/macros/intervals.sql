{#- The union of intervals [start, end] per partition (gaps and islands): overlapping or touching
    intervals merge into one island, so a stretch two operators both cover counts once.

    An interval opens a new island when it starts after every interval before it (in start order)
    has ended; the running count of those openings numbers the islands. Returns the partition columns,
    island_number, island_start, island_end. -#}
{% macro interval_islands(relation, partition_by, start_column, end_column) -%}
    {%- set partition = partition_by | join(', ') -%}
    select
        {{ partition }},
        island_number,
        min({{ start_column }}) as island_start,
        max({{ end_column }}) as island_end
    from (
        select
            flagged.*,
            sum(opens_island) over (
                partition by {{ partition }}
                -- ties (equal start and end, e.g. two operators reporting the same stretch) in any
                -- order would let a non-opening row come first and number an island of its own
                order by {{ start_column }}, {{ end_column }}, opens_island desc
                rows between unbounded preceding and current row
            ) as island_number
        from (
            select
                ordered.*,
                case
                    when ordered.{{ start_column }} <= max(ordered.{{ end_column }}) over (
                        partition by {{ partition }}
                        order by ordered.{{ start_column }}, ordered.{{ end_column }}
                        rows between unbounded preceding and 1 preceding
                    ) then 0
                    else 1
                end as opens_island
            from {{ relation }} as ordered
        ) as flagged
    ) as numbered
    group by {{ partition }}, island_number
{%- endmacro %}
