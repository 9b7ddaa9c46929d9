-- An entity's members in ref order straight from one index: loading entities and listing their
-- members then needs no sort, and listing members reads no table row.
CREATE INDEX records_members ON records (entity_id, system, type, id, deleted, is_agent);
DROP INDEX records_entity;
-- A sweep lists every entity of a kind in id order.
CREATE INDEX entities_kind ON entities (kind, id);
-- History rows are never deleted, so a plain integer key already grows with every row; AUTOINCREMENT
-- only added a write to sqlite_sequence per insert. SQLite cannot drop it in place: the table is rebuilt.
CREATE TABLE history_new (
  seq INTEGER PRIMARY KEY,
  entity_id TEXT NOT NULL,
  cycle_id TEXT NOT NULL,
  at TEXT NOT NULL,
  event TEXT NOT NULL,
  attribute TEXT,
  member TEXT,
  rule TEXT,
  detail TEXT NOT NULL
);
INSERT INTO history_new SELECT seq, entity_id, cycle_id, at, event, attribute, member, rule, detail FROM history;
DROP TABLE history;
ALTER TABLE history_new RENAME TO history;
CREATE INDEX history_entity ON history (entity_id, seq);
CREATE INDEX history_conflicts ON history (seq) WHERE event = 'conflict';
