-- A turn's tool results in rows of their own (WITHOUT ROWID, as 0001 made every keyed table).
CREATE TABLE `tool_results` (
	`node_key` text NOT NULL,
	`run_no` integer NOT NULL,
	`turn_no` integer NOT NULL,
	`call_id` text NOT NULL,
	`result` text NOT NULL,
	PRIMARY KEY(`node_key`, `run_no`, `turn_no`, `call_id`)
) WITHOUT ROWID;
