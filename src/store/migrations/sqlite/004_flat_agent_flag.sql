-- The agent flag of a Zendesk user as a flat column: listing an entity's members (planning, sending
-- creates, noticing a changed agent flag) then reads no JSON body.
ALTER TABLE records ADD COLUMN is_agent INTEGER;
UPDATE records SET is_agent = CASE json_type(body, '$.facts.isAgent') WHEN 'true' THEN 1 WHEN 'false' THEN 0 END;
-- Only conflicts are listed by event; indexing every history row by event cost each insert for nothing.
DROP INDEX history_event;
CREATE INDEX history_conflicts ON history (seq) WHERE event = 'conflict';
-- Due rows are read in key order (outbox_due_by_key, migration 003); this older index served no query.
DROP INDEX outbox_due;
