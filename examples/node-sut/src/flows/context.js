// What a flow sees: the connection's three clients, the id map, and the ERP's reference
// data (subsidiaries, currencies, items) cached per connection.
import { createStripe } from '../vendors/billing.js';
import { connectCrm } from '../vendors/crm.js';
import { ErpClient } from '../vendors/erp.js';

// Not done yet, and not our fault: something this event needs has not happened (an
// invoice.paid before its invoice.finalized was posted). Run the event again soon.
export class Wait extends Error {}

// Cannot be done as things are (no ERP subsidiary for a legal entity, no ERP item for a
// product): sending it again changes nothing. Logged; there is no dead-letter queue.
export class Refused extends Error {
  constructor(code, message) {
    super(`${code}: ${message}`);
    this.code = code;
  }
}

const ERP_TABLES = {
  subsidiary: ['SELECT id, country, currency, parent FROM subsidiary', 'country'],
  currency: ['SELECT id, symbol FROM currency', 'symbol'],
  item: ['SELECT id, itemid FROM item', 'itemid'],
};

export class Clients {
  constructor(connection, policy) {
    this.connection = connection;
    this.policy = policy;
    this.stripe = createStripe(connection.billing);
    this.erp = new ErpClient(connection.erp, policy);
    this.crmConn = null;
    this.erpTables = new Map();
  }

  crm() {
    this.crmConn ??= connectCrm(this.connection.crm, this.policy).catch((err) => {
      this.crmConn = null;
      throw err;
    });
    return this.crmConn;
  }

  // The ERP `kind` row for `code` (upper-cased), reloading the table on a miss (a
  // subsidiary or item added since).
  async erpRow(kind, code) {
    const wanted = String(code ?? '').toUpperCase();
    let table = this.erpTables.get(kind);
    if (!table || !table.has(wanted)) {
      const [sql, column] = ERP_TABLES[kind];
      table = new Map((await this.erp.suiteql(sql))
        .filter((row) => row[column] != null)
        .map((row) => [String(row[column]).toUpperCase(), row]));
      this.erpTables.set(kind, table);
    }
    return table.get(wanted) ?? null;
  }

  async erpId(kind, code) {
    const row = await this.erpRow(kind, code);
    if (!row) throw new Refused(`${kind.toUpperCase()}_NOT_FOUND`, `no ERP ${kind} ${code}`);
    return String(row.id);
  }
}

export class FlowContext {
  constructor({ connectionId, clients, links, eventId }) {
    this.connectionId = connectionId;
    this.clients = clients;
    this.links = links;
    this.eventId = eventId;
  }

  get stripe() { return this.clients.stripe; }
  get erp() { return this.clients.erp; }
  crm() { return this.clients.crm(); }

  link(kind, key) { return this.links.get(this.connectionId, kind, key); }
  setLink(kind, key, value) { this.links.put(this.connectionId, kind, key, value); }
}

export function isoDate(unixSeconds) {
  return new Date(Number(unixSeconds ?? 0) * 1000).toISOString().slice(0, 10);
}
