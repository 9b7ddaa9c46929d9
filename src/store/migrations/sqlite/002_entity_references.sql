-- Which entities an entity's values point at (a ticket at its requester and assignee, a person at
-- its organization), so a change in the referenced entity (a new member, an agent flag) re-plans
-- the entities that point at it, and only those.
CREATE TABLE entity_references (
  entity_id TEXT NOT NULL,
  referenced_id TEXT NOT NULL,
  PRIMARY KEY (entity_id, referenced_id)
);
CREATE INDEX entity_references_referenced ON entity_references (referenced_id);
