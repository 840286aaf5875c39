with orders as (

    select order_id, customer_id, order_date, status
    from {{ ref('stg_orders') }}

),

payments as (

    select order_id, payment_method, amount_usd
    from {{ ref('stg_payments') }}

),

order_payments as (

    select
        order_id,
        sum(case when payment_method = 'credit_card' then amount_usd else 0 end) as credit_card_amount,
        sum(case when payment_method = 'coupon' then amount_usd else 0 end) as coupon_amount,
        sum(case when payment_method = 'bank_transfer' then amount_usd else 0 end) as bank_transfer_amount,
        sum(amount_usd) as total_amount
    from payments
    group by order_id

)

select
    orders.order_id,
    orders.customer_id,
    orders.order_date,
    orders.status,
    coalesce(order_payments.credit_card_amount, 0) as credit_card_amount,
    coalesce(order_payments.coupon_amount, 0) as coupon_amount,
    coalesce(order_payments.bank_transfer_amount, 0) as bank_transfer_amount,
    coalesce(order_payments.total_amount, 0) as amount
from orders
left join order_payments on orders.order_id = order_payments.order_id
