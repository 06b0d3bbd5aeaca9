-- The answer's `ETag` (a plan's create or save from a conversation), so a replay sends the headers the first
-- answer did; NULL for an answer that had none, or one kept before this column.
ALTER TABLE `idempotency_keys` ADD `etag` text;
