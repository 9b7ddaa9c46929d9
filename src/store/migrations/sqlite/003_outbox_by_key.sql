-- Due rows are read page by page in key order: an index in that order keeps each page cheap
-- however many rows are due (sorting all due rows for every page made a large first sync quadratic).
CREATE INDEX outbox_due_by_key ON outbox (system, type, state, key);
