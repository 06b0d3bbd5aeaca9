CREATE TABLE `spend` (
	`org_id` text NOT NULL,
	`task_id` text NOT NULL,
	`day` text NOT NULL,
	`agent` text NOT NULL,
	`model` text NOT NULL,
	`cost_nanos` integer NOT NULL,
	`tokens_input` integer NOT NULL,
	`tokens_cache` integer NOT NULL,
	`tokens_output` integer NOT NULL,
	`tokens_web_search` integer NOT NULL,
	`searches` integer NOT NULL,
	PRIMARY KEY(`task_id`, `day`, `agent`, `model`)
);
--> statement-breakpoint
CREATE INDEX `spend_org_day` ON `spend` (`org_id`,`day`,`cost_nanos`);--> statement-breakpoint
ALTER TABLE `agents` ADD `max_concurrency` integer;