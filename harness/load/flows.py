"""The business flows a load run measures, by the names Locust reports them under
(request type ``FLOW``): the locustfiles fire them, the cutover report reads them."""

FLOW = "FLOW"
ACCOUNT_SYNC = "account created -> billing customer linked"
INVOICE_POSTED = "close-won -> ERP invoice posted"
PAYMENT_APPLIED = "close-won -> ERP payment applied"
RENEWAL_POSTED = "renewal -> ERP invoice posted"
RENEWAL_PAID = "renewal -> ERP payment applied"
MONTH_END_DRAINED = "month-end: every renewal posted and paid"
#: The flow whose completions count as "flows per minute", per scenario.
PRIMARY = {"q2c": PAYMENT_APPLIED, "month-end": RENEWAL_PAID}
