with source as (

    select id, first_name, last_name
    from {{ ref('raw_customers') }}

)

select
    id as customer_id,
    first_name,
    last_name as last_initial
from source
