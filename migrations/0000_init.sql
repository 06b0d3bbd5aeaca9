CREATE TABLE `agents` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`model` text NOT NULL,
	`system_prompt` text NOT NULL,
	`tools` text NOT NULL,
	`max_turns` integer NOT NULL,
	`max_cost_nanos` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `agents_org_name` ON `agents` (`org_id`,`name`);--> statement-breakpoint
CREATE TABLE `api_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`role` text NOT NULL,
	`token_hash` text NOT NULL,
	`instance_admin` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_tokens_hash` ON `api_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `api_tokens_org` ON `api_tokens` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `auth_sessions` (
	`id_hash` text PRIMARY KEY NOT NULL,
	`token_id` text NOT NULL,
	`org_id` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `auth_sessions_token` ON `auth_sessions` (`token_id`);--> statement-breakpoint
CREATE TABLE `orgs` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`settings` text DEFAULT '{}' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `plan_versions` (
	`plan_id` text NOT NULL,
	`version` integer NOT NULL,
	`definition` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`plan_id`, `version`)
);
--> statement-breakpoint
CREATE TABLE `plans` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`name` text NOT NULL,
	`description` text NOT NULL,
	`version` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `plans_org` ON `plans` (`org_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `pricing` (
	`org_id` text NOT NULL,
	`model` text NOT NULL,
	`input` integer NOT NULL,
	`cache` integer NOT NULL,
	`cache_write` integer NOT NULL,
	`output` integer NOT NULL,
	`web_search` integer NOT NULL,
	`per_search` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`org_id`, `model`)
);
--> statement-breakpoint
CREATE TABLE `tasks` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`org_id` text NOT NULL,
	`title` text NOT NULL,
	`description` text NOT NULL,
	`status` text NOT NULL,
	`source` text NOT NULL,
	`agent` text,
	`agents` text DEFAULT '[]' NOT NULL,
	`created_by` text NOT NULL,
	`parent_id` text,
	`rerun_of` text,
	`trigger_id` text,
	`session_id` text NOT NULL,
	`plan_id` text,
	`plan_version` integer,
	`progress_done` integer DEFAULT 0 NOT NULL,
	`progress_total` integer DEFAULT 0 NOT NULL,
	`tokens_input` integer DEFAULT 0 NOT NULL,
	`tokens_cache` integer DEFAULT 0 NOT NULL,
	`tokens_output` integer DEFAULT 0 NOT NULL,
	`tokens_web_search` integer DEFAULT 0 NOT NULL,
	`searches` integer DEFAULT 0 NOT NULL,
	`cost_nanos` integer DEFAULT 0 NOT NULL,
	`pending` text DEFAULT '[]' NOT NULL,
	`output` text,
	`index_version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`finished_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_id` ON `tasks` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `tasks_session` ON `tasks` (`session_id`);--> statement-breakpoint
CREATE INDEX `tasks_org_seq` ON `tasks` (`org_id`,`seq`);--> statement-breakpoint
CREATE INDEX `tasks_org_status_seq` ON `tasks` (`org_id`,`status`,`seq`);--> statement-breakpoint
CREATE INDEX `tasks_org_source_seq` ON `tasks` (`org_id`,`source`,`seq`);--> statement-breakpoint
CREATE INDEX `tasks_org_agent_seq` ON `tasks` (`org_id`,`agent`,`seq`);--> statement-breakpoint
CREATE INDEX `tasks_parent` ON `tasks` (`parent_id`);