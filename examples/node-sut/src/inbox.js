// The durable inbox: every webhook is stored before it is acknowledged (a duplicate is
// acknowledged too, so that the sender stops retrying), deduplicated on the vendor's event
// id, and processed by the workers; a failed run is scheduled again, no sooner than the
// vendor's Retry-After.
//
// There is no dead-letter queue: an event that fails permanently, or still fails after
// MAX_ATTEMPTS, is marked `failed` and logged, and nothing replays it. (fintwin's
// test_dlq_replay and test_compensation are expected to fail against this SUT for that.)

export class Inbox {
  constructor(db, { now = () => Date.now() } = {}) {
    this.db = db;
    this.now = now;
    this.insert = db.prepare(`INSERT INTO inbox (connection, source, event_id, type, entity,
      payload, status, due_at, received_at) VALUES (?, ?, ?, ?, ?, ?, 'queued', ?, ?)
      ON CONFLICT (connection, source, event_id) DO NOTHING`);
    this.due = db.prepare(`SELECT * FROM inbox WHERE status = 'queued' AND due_at <= ?
      ORDER BY due_at, id LIMIT 64`);
    this.setStatus = db.prepare(`UPDATE inbox SET status = ?, last_error = ?, finished_at = ?
      WHERE id = ?`);
    this.start = db.prepare(`UPDATE inbox SET status = 'running', attempts = attempts + 1
      WHERE id = ? AND status = 'queued'`);
    this.later = db.prepare(`UPDATE inbox SET status = 'queued', due_at = ?, last_error = ?
      WHERE id = ?`);
    // A run that found a prerequisite missing did not fail: it does not spend an attempt.
    this.waitStmt = db.prepare(`UPDATE inbox SET status = 'queued', due_at = ?, last_error = ?,
      attempts = attempts - 1, waits = waits + 1 WHERE id = ?`);
    this.nextDueStmt = db.prepare(`SELECT MIN(due_at) AS due FROM inbox WHERE status = 'queued'`);
    this.pendingAll = db.prepare(`SELECT COUNT(*) AS n FROM inbox
      WHERE status IN ('queued', 'running')`);
    this.pendingOne = db.prepare(`SELECT COUNT(*) AS n FROM inbox
      WHERE status IN ('queued', 'running') AND connection = ?`);
    this.countsStmt = db.prepare(`SELECT status, COUNT(*) AS n FROM inbox
      WHERE (? IS NULL OR connection = ?) GROUP BY status`);
    // A run this process did not finish (it was killed) starts again.
    db.prepare(`UPDATE inbox SET status = 'queued' WHERE status = 'running'`).run();
  }

  // True when the event is new.
  accept({ connection, source, eventId, type, entity, payload }) {
    const now = this.now();
    const info = this.insert.run(connection, source, String(eventId), type, entity,
      JSON.stringify(payload), now, now);
    return info.changes === 1;
  }

  // The oldest due event whose entity is not being worked on, marked running.
  claim(busyEntities) {
    for (const row of this.due.all(this.now())) {
      if (busyEntities.has(row.entity)) continue;
      if (this.start.run(row.id).changes === 1) return { ...row, attempts: row.attempts + 1 };
    }
    return null;
  }

  complete(row, status = 'done', note = null) {
    this.setStatus.run(status, note, this.now(), row.id);
  }

  retryLater(row, delayMs, reason) {
    this.later.run(this.now() + delayMs, reason, row.id);
  }

  waitLater(row, delayMs, reason) {
    this.waitStmt.run(this.now() + delayMs, reason, row.id);
  }

  nextDue() {
    return this.nextDueStmt.get().due;
  }

  // The idle probe: events not processed yet, including those waiting out a retry.
  pending(connection = null) {
    return (connection ? this.pendingOne.get(connection) : this.pendingAll.get()).n;
  }

  counts(connection = null) {
    const out = {};
    for (const row of this.countsStmt.all(connection, connection)) out[row.status] = row.n;
    return out;
  }
}
