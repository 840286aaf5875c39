-- Written in the classic jaffle_shop style (select * inside a CTE) on purpose: the SQL
-- parser used by dbt-ol cannot expand "*", so the column lineage of this model points at the
-- CTE name "source" instead of the seed table. See README.md.
with source as (

    select * from {{ ref('raw_orders') }}

),

renamed as (

    select
        id as order_id,
        user_id as customer_id,
        order_date,
        status,
        status = 'returned' as is_returned
    from source

)

select order_id, customer_id, order_date, status, is_returned from renamed
