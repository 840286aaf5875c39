with source as (

    select id, order_id, payment_method, amount
    from {{ ref('raw_payments') }}

)

select
    id as payment_id,
    order_id,
    payment_method,
    -- amount is stored in cents
    amount / 100 as amount_usd
from source
