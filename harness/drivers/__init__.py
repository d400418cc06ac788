"""Drivers that act on the fakes as their users would (sales rep, billing admin, controller).

Start with :meth:`World.provision`: a fresh tenant in each fake and a driver on each.
"""

from harness.drivers.base import DriverError, Endpoint
from harness.drivers.billing import BillingDriver
from harness.drivers.crm import CrmDeal, CrmDriver
from harness.drivers.erp import ErpDriver
from harness.drivers.world import Endpoints, TenantCredentials, World, WorldClock

__all__ = ["BillingDriver", "CrmDeal", "CrmDriver", "DriverError", "Endpoint", "Endpoints",
           "ErpDriver", "TenantCredentials", "World", "WorldClock"]
