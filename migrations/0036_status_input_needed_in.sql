-- A task's steps that wait (spawn_task with `wait`) on a sub-task needing a person: `[{step, task_id, title}]`,
-- the task where the input is asked for, so lists and the feed say so while the task itself is in_progress.
ALTER TABLE `tasks` ADD `input_needed_in` text DEFAULT '[]' NOT NULL;
