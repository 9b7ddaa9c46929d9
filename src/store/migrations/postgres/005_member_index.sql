-- An entity's members in ref order straight from one index: loading entities and listing their
-- members then needs no sort, and listing members reads no table row.
CREATE INDEX records_members ON records (entity_id, system, type, id, deleted, is_agent);
DROP INDEX records_entity;
-- A sweep lists every entity of a kind in id order.
CREATE INDEX entities_kind ON entities (kind, id);
