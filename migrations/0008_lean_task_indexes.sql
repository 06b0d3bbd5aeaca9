-- Indexes a new task's row need not write: only a sub-task has a parent, and only a finished task has a
-- duration (the duration sort reads finished tasks from this index, then the unfinished ones by seq).
-- Each was one more page in the create's D1 transaction; with them, its statement journal outgrew memory
-- and spilled to a temporary file in about one create in four (bench/README.md, eighth session).
DROP INDEX `tasks_parent`;
--> statement-breakpoint
CREATE INDEX `tasks_parent` ON `tasks` (`parent_id`) WHERE `parent_id` IS NOT NULL;
--> statement-breakpoint
DROP INDEX `tasks_org_duration`;
--> statement-breakpoint
CREATE INDEX `tasks_org_duration` ON `tasks` (`org_id`,`duration_ms`) WHERE `duration_ms` IS NOT NULL;
