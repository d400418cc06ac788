"""What every new org has: an admin user and the active standard price book."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulators.crm.records.write import begin, insert

if TYPE_CHECKING:
    from simulators.engine.runtime import Simulation
    from simulators.engine.tenancy import Tenant


def seed_org(sim: Simulation, tenant: Tenant) -> None:
    """What every new org has: an admin user and the active standard price book."""
    txn = begin(sim, tenant)
    schema = txn.org.schema
    user = insert(
        txn,
        schema.object("User"),
        {
            "Username": f"admin@{tenant.id.lower()}.fintwin.example",
            "FirstName": "Integration",
            "LastName": "User",
            "Email": "admin@fintwin.example",
            "Alias": "integ",
            "IsActive": True,
            "TimeZoneSidKey": "GMT",
        },
    )
    tenant.meta["user_id"] = user["Id"]
    txn.user_id = user["Id"]
    # The first user created itself.
    user = dict(user, CreatedById=user["Id"], LastModifiedById=user["Id"], OwnerId=None)
    txn.org.put("User", user)
    book = insert(
        txn, schema.object("Pricebook2"), {"Name": "Standard Price Book", "IsActive": True}
    )
    book = dict(book, IsStandard=True)
    txn.org.put("Pricebook2", book)
    tenant.meta["standard_pricebook_id"] = book["Id"]
    # The seed is not a change anyone subscribed to.
    txn.changes.clear()
    txn.undo.clear()

