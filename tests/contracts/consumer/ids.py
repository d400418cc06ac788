"""The ids one company's quote-to-cash has in the three systems, as the pacts name them.

Provider states create objects with these ids (each a valid id of its vendor), so the
examples in the pacts are what the providers hold when they are verified."""

from __future__ import annotations

from simulators.crm.ids import to_18

ACCOUNT = to_18("001000000000Acm")  # CRM Account
OPPORTUNITY = to_18("006000000000Acm")
CONTRACT = to_18("800000000000Acm")
ORDER = to_18("801000000000Acm")

CUSTOMER = "cus_FintwinAcme01"  # billing
SUBSCRIPTION = "sub_FintwinAcme01"
SUBSCRIPTION_ITEM = "si_FintwinPlat01"
PRICE = "price_FintwinPlatUsd"
SEAT_PRICE = "price_FintwinSeatUsd"
INVOICE = "in_FintwinAcme01"
CREDIT_NOTE = "cn_FintwinAcme01"

ERP_CUSTOMER = "107"  # ERP internal ids
ERP_ITEM = "12"
ERP_INVOICE = "301"
SUBSIDIARY = "1"  # the parent subsidiary (US, USD): every new ERP account has it
CURRENCY = "1"  # USD

PRODUCT = "PLAT"
QUANTITY = 2
UNIT_AMOUNT = 12000  # minor units: 120.00 a month
