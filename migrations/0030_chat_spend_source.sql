-- What a ledger row's spend paid for: `task` (a task's runs, `task_id` the task) or `chat` (a planning
-- conversation's model calls, `task_id` the conversation), so the report tells planner spend apart while
-- the month's total and the cap count both.
ALTER TABLE `spend` ADD `source` text DEFAULT 'task' NOT NULL;
