// Durable state in one SQLite file (better-sqlite3, synchronous): the connections the
// harness (or an operator) registered, the inbox of received events, and the id map
// between the three systems. One process owns the file (WAL mode).
import Database from 'better-sqlite3';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS connections (
  id TEXT PRIMARY KEY,
  config TEXT NOT NULL,
  created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS inbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  connection TEXT NOT NULL,
  source TEXT NOT NULL,            -- 'billing' | 'crm'
  event_id TEXT NOT NULL,
  type TEXT NOT NULL,
  entity TEXT NOT NULL,            -- events about one entity run one at a time
  payload TEXT NOT NULL,
  status TEXT NOT NULL,            -- queued | running | done | ignored | failed
  attempts INTEGER NOT NULL DEFAULT 0, -- runs that met a failure
  waits INTEGER NOT NULL DEFAULT 0,    -- runs that found a prerequisite missing
  due_at INTEGER NOT NULL,         -- ms since the epoch
  last_error TEXT,
  received_at INTEGER NOT NULL,
  finished_at INTEGER,
  UNIQUE (connection, source, event_id)
);
CREATE INDEX IF NOT EXISTS inbox_due ON inbox (status, due_at);
CREATE TABLE IF NOT EXISTS links (
  connection TEXT NOT NULL,
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (connection, kind, key)
);
`;

// `sqlite:///abs/path`, `sqlite://:memory:` or a plain path.
export function databasePath(url) {
  if (!url) return 'node-sut.db';
  if (url.startsWith('sqlite:///')) return url.slice('sqlite://'.length);
  if (url.startsWith('sqlite://')) return url.slice('sqlite://'.length);
  if (/^[a-z]+:\/\//.test(url)) throw new Error(`unsupported database URL ${url} (SQLite only)`);
  return url;
}

export function openStore(url) {
  const db = new Database(databasePath(url));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL'); // an acknowledged webhook survives a crash
  db.pragma('busy_timeout = 5000');
  db.exec(SCHEMA);
  return db;
}

export class Links {
  constructor(db) {
    this.getStmt = db.prepare('SELECT value FROM links WHERE connection = ? AND kind = ? AND key = ?');
    this.putStmt = db.prepare(`INSERT INTO links (connection, kind, key, value) VALUES (?, ?, ?, ?)
      ON CONFLICT (connection, kind, key) DO UPDATE SET value = excluded.value`);
  }

  get(connection, kind, key) {
    return this.getStmt.get(connection, kind, String(key))?.value ?? null;
  }

  put(connection, kind, key, value) {
    this.putStmt.run(connection, kind, String(key), String(value));
  }
}

export class Connections {
  constructor(db) {
    this.db = db;
    this.cache = new Map();
    for (const row of db.prepare('SELECT id, config FROM connections').all()) {
      this.cache.set(row.id, JSON.parse(row.config));
    }
  }

  get(id) {
    return this.cache.get(id) ?? null;
  }

  put(connection) {
    this.db.prepare(`INSERT INTO connections (id, config, created_at) VALUES (?, ?, ?)
      ON CONFLICT (id) DO UPDATE SET config = excluded.config`)
      .run(connection.id, JSON.stringify(connection), Date.now());
    this.cache.set(connection.id, connection);
  }

  get size() {
    return this.cache.size;
  }
}

// What a connection must carry (docs/quote-to-cash.md in fintwin, "How a SUT plugs in").
const REQUIRED = {
  crm: ['base_url', 'client_id', 'client_secret', 'webhook_secret'],
  billing: ['base_url', 'api_key', 'webhook_secret'],
  erp: ['base_url', 'account_id', 'client_id', 'client_secret'],
};

export function parseConnection(body) {
  if (!body || typeof body !== 'object') throw new Error('a JSON object is required');
  if (typeof body.id !== 'string' || !/^[\w.-]{1,100}$/.test(body.id)) {
    throw new Error('id: a string of letters, digits, _ . - is required');
  }
  const out = { id: body.id };
  for (const [system, keys] of Object.entries(REQUIRED)) {
    const part = body[system];
    if (!part || typeof part !== 'object') throw new Error(`${system}: an object is required`);
    out[system] = {};
    for (const key of keys) {
      if (typeof part[key] !== 'string' || (key !== 'webhook_secret' && !part[key])) {
        throw new Error(`${system}.${key}: a string is required`);
      }
      out[system][key] = part[key];
    }
    if (!/^https?:\/\//.test(out[system].base_url)) throw new Error(`${system}.base_url: an http(s) URL is required`);
    out[system].base_url = out[system].base_url.replace(/\/+$/, '');
  }
  return out;
}
