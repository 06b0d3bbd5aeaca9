-- A cron trigger's fire from its claim until its task's object holds the task (worker/triggers/claimed-fires.ts).
-- The claim writes the row in the batch that moves `last_fired_at`, the create ties its task to it in its own
-- batch, and the row goes once the task is stored: a row left behind is a fire a restart cut off, which the
-- trigger's clock finishes when it next wakes, so a claimed fire always yields exactly one task.
CREATE TABLE `cron_fires` (
	`trigger_id` text NOT NULL,
	`fired_at` integer NOT NULL,
	`task_id` text,
	`failures` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`trigger_id`, `fired_at`)
);
