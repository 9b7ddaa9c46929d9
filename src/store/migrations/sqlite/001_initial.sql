-- Tandem state, SQLite dialect. JSON is stored as text, booleans as 0/1 (same shapes as PostgreSQL).

CREATE TABLE entities (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  base TEXT NOT NULL DEFAULT '{}',
  holds TEXT NOT NULL DEFAULT '{}',
  waits TEXT NOT NULL DEFAULT '[]',
  name_claim TEXT,
  wanted INTEGER NOT NULL DEFAULT 0,
  dirty INTEGER NOT NULL DEFAULT 1,
  created_at TEXT NOT NULL
);
CREATE INDEX entities_dirty ON entities (kind, id) WHERE dirty = 1;
CREATE INDEX entities_name_claim ON entities (name_claim) WHERE name_claim IS NOT NULL;

CREATE TABLE records (
  system TEXT NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  hash TEXT NOT NULL,
  body TEXT NOT NULL,
  modified_at TEXT,
  deleted INTEGER NOT NULL,
  seen_at TEXT NOT NULL,
  entity_id TEXT REFERENCES entities (id),
  known TEXT NOT NULL DEFAULT '{}',
  ambiguity TEXT,
  PRIMARY KEY (system, type, id)
);
CREATE INDEX records_entity ON records (entity_id);
CREATE INDEX records_unlinked ON records (system, type, id) WHERE entity_id IS NULL AND deleted = 0;

CREATE TABLE match_keys (
  key TEXT NOT NULL,
  system TEXT NOT NULL,
  type TEXT NOT NULL,
  id TEXT NOT NULL,
  PRIMARY KEY (key, system, type, id)
);
CREATE INDEX match_keys_record ON match_keys (system, type, id);

CREATE TABLE cursors (
  system TEXT NOT NULL,
  type TEXT NOT NULL,
  cursor TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY (system, type)
);

CREATE TABLE outbox (
  key TEXT PRIMARY KEY,
  entity_id TEXT NOT NULL REFERENCES entities (id),
  system TEXT NOT NULL,
  type TEXT NOT NULL,
  operation TEXT NOT NULL,
  target_id TEXT,
  external_id TEXT,
  label TEXT,
  body TEXT NOT NULL,
  attributes TEXT NOT NULL,
  may_exist INTEGER NOT NULL DEFAULT 0,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at TEXT NOT NULL,
  last_error TEXT,
  state TEXT NOT NULL,
  cycle_id TEXT NOT NULL
);
CREATE INDEX outbox_due ON outbox (system, type, state, next_attempt_at);
CREATE INDEX outbox_entity ON outbox (entity_id);

CREATE TABLE history (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  entity_id TEXT NOT NULL,
  cycle_id TEXT NOT NULL,
  at TEXT NOT NULL,
  event TEXT NOT NULL,
  attribute TEXT,
  member TEXT,
  rule TEXT,
  detail TEXT NOT NULL
);
CREATE INDEX history_entity ON history (entity_id, seq);
CREATE INDEX history_event ON history (event, seq);

CREATE TABLE cycles (
  id TEXT PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT 'null'
);
CREATE INDEX cycles_started ON cycles (started_at);
