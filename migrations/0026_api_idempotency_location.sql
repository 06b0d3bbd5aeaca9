-- A replayed 201 says where its resource is, as the first answer did.
ALTER TABLE `idempotency_keys` ADD `location` text;
--> statement-breakpoint
-- A task's create stored before this keeps its key for a day: its replay says where the task is too.
UPDATE `idempotency_keys` SET `location` = '/api/v1/tasks/' || `task_id` WHERE `status` = 201 AND `task_id` IS NOT NULL;
