-- The last number an organization's log (its audit log, its delivery log) gave out, written when entries are deleted
-- (pruned by age, or a create a restart cut off undone): a new entry's number goes on from the highest ever given, so
-- an id or cursor a client holds never comes back for another entry once the entries above it are gone.
CREATE TABLE `log_numbers` (
	`org_id` text NOT NULL,
	`log` text NOT NULL,
	`last` integer NOT NULL,
	PRIMARY KEY(`org_id`, `log`)
) WITHOUT ROWID;
