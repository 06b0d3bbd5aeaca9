-- A new task object's whole schema: where its migrations (./migrations) end, made in one go. The
-- storage test checks the two stay the same, so a new migration must be reflected here.
CREATE TABLE "calls" (
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
CREATE TABLE "events" (
	`id` integer PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`data` text NOT NULL,
	`at` integer NOT NULL
);
CREATE TABLE "nodes" (
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
CREATE TABLE "runs" (
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
	`worked_ms` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`node_key`, `run_no`)
) WITHOUT ROWID;
CREATE TABLE "task" (
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
CREATE TABLE `tool_results` (
	`node_key` text NOT NULL,
	`run_no` integer NOT NULL,
	`turn_no` integer NOT NULL,
	`call_id` text NOT NULL,
	`result` text NOT NULL,
	PRIMARY KEY(`node_key`, `run_no`, `turn_no`, `call_id`)
) WITHOUT ROWID;
CREATE TABLE "turns" (
	`node_key` text NOT NULL,
	`run_no` integer NOT NULL,
	`turn_no` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`node_key`, `run_no`, `turn_no`)
) WITHOUT ROWID;
