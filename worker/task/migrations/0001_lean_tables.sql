-- Every table but events is keyed by its primary key alone (WITHOUT ROWID: one b-tree each, not
-- a table and its key's index), and events takes the ids the task gives it (no AUTOINCREMENT, so
-- no sqlite_sequence row to update on every event): a short task's three commits write 22 pages, not 33.
-- drizzle cannot declare WITHOUT ROWID: a later migration that rebuilds one of these tables must keep it.
CREATE TABLE `calls_new` (
	`call_id` text PRIMARY KEY NOT NULL,
	`node_key` text NOT NULL,
	`run_no` integer NOT NULL,
	`kind` text NOT NULL,
	`tool_call_id` text,
	`question` text,
	`created_at` integer NOT NULL,
	`answered_at` integer,
	`answer` text
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `calls_new` SELECT * FROM `calls`;
--> statement-breakpoint
DROP TABLE `calls`;
--> statement-breakpoint
ALTER TABLE `calls_new` RENAME TO `calls`;
--> statement-breakpoint
CREATE TABLE `events_new` (
	`id` integer PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `events_new` SELECT * FROM `events`;
--> statement-breakpoint
DROP TABLE `events`;
--> statement-breakpoint
ALTER TABLE `events_new` RENAME TO `events`;
--> statement-breakpoint
CREATE TABLE `nodes_new` (
	`key` text PRIMARY KEY NOT NULL,
	`step_id` text NOT NULL,
	`kind` text NOT NULL,
	`parent` text,
	`deps` text NOT NULL,
	`iteration` integer,
	`item` text,
	`status` text NOT NULL,
	`output` text,
	`error` text,
	`started_at` integer,
	`finished_at` integer,
	`runs` integer DEFAULT 0 NOT NULL,
	`retry_at` integer,
	`waiting` text,
	`seq` integer NOT NULL
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `nodes_new` SELECT * FROM `nodes`;
--> statement-breakpoint
DROP TABLE `nodes`;
--> statement-breakpoint
ALTER TABLE `nodes_new` RENAME TO `nodes`;
--> statement-breakpoint
CREATE TABLE `runs_new` (
	`node_key` text NOT NULL,
	`run_no` integer NOT NULL,
	`status` text NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`error` text,
	`feedback` text,
	`price` text NOT NULL,
	`input` integer DEFAULT 0 NOT NULL,
	`cache` integer DEFAULT 0 NOT NULL,
	`cache_write` integer DEFAULT 0 NOT NULL,
	`output` integer DEFAULT 0 NOT NULL,
	`web_search` integer DEFAULT 0 NOT NULL,
	`searches` integer DEFAULT 0 NOT NULL,
	`cost_nanos` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`node_key`, `run_no`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `runs_new` SELECT * FROM `runs`;
--> statement-breakpoint
DROP TABLE `runs`;
--> statement-breakpoint
ALTER TABLE `runs_new` RENAME TO `runs`;
--> statement-breakpoint
CREATE TABLE `task_new` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`meta` text NOT NULL,
	`status` text NOT NULL,
	`output` text,
	`index_version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `task_new` SELECT * FROM `task`;
--> statement-breakpoint
DROP TABLE `task`;
--> statement-breakpoint
ALTER TABLE `task_new` RENAME TO `task`;
--> statement-breakpoint
CREATE TABLE `turns_new` (
	`node_key` text NOT NULL,
	`run_no` integer NOT NULL,
	`turn_no` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`node_key`, `run_no`, `turn_no`)
) WITHOUT ROWID;
--> statement-breakpoint
INSERT INTO `turns_new` SELECT * FROM `turns`;
--> statement-breakpoint
DROP TABLE `turns`;
--> statement-breakpoint
ALTER TABLE `turns_new` RENAME TO `turns`;
--> statement-breakpoint
DELETE FROM sqlite_sequence WHERE name = 'events';
