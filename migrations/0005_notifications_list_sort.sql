-- Outgoing notifications: per-organization webhook subscriptions and one log row per delivery attempt.
CREATE TABLE `notification_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`org_id` text NOT NULL,
	`url` text NOT NULL,
	`events` text NOT NULL,
	`secret` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`enabled` integer DEFAULT 1 NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `notification_subscriptions_org` ON `notification_subscriptions` (`org_id`,`created_at`);
--> statement-breakpoint
CREATE TABLE `notification_deliveries` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`org_id` text NOT NULL,
	`subscription_id` text NOT NULL,
	`message_id` text NOT NULL,
	`event_type` text NOT NULL,
	`task_id` text NOT NULL,
	`attempt` integer NOT NULL,
	`outcome` text NOT NULL,
	`response_status` integer,
	`error` text,
	`duration_ms` integer NOT NULL,
	`next_attempt_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notification_deliveries_attempt` ON `notification_deliveries` (`message_id`,`attempt`);
--> statement-breakpoint
CREATE INDEX `notification_deliveries_org` ON `notification_deliveries` (`org_id`,`seq`);
--> statement-breakpoint
CREATE INDEX `notification_deliveries_sub` ON `notification_deliveries` (`org_id`,`subscription_id`,`seq`);
--> statement-breakpoint
-- List sorts and date ranges: a finished task's duration (from its start, or its creation if it never
-- started), computed by SQLite so it can be indexed; unfinished tasks have none and sort last.
ALTER TABLE `tasks` ADD COLUMN `duration_ms` integer GENERATED ALWAYS AS (CASE WHEN `finished_at` IS NULL THEN NULL ELSE `finished_at` - coalesce(`started_at`, `created_at`) END) VIRTUAL;
--> statement-breakpoint
CREATE INDEX `tasks_org_cost` ON `tasks` (`org_id`,`cost_nanos`);
--> statement-breakpoint
CREATE INDEX `tasks_org_duration` ON `tasks` (`org_id`,`duration_ms`);
--> statement-breakpoint
CREATE INDEX `tasks_org_created` ON `tasks` (`org_id`,`created_at`);
