-- The spawn_task call that made a sub-task (the parent's step, run, turn and call id), written with the
-- sub-task's row: a parent whose object stopped before it stored the child's id finds that child again
-- rather than making a second one. Unique per parent, so no call can make two.
ALTER TABLE `tasks` ADD `spawn_call` text;
CREATE UNIQUE INDEX `tasks_spawn_call` ON `tasks` (`parent_id`, `spawn_call`) WHERE `spawn_call` IS NOT NULL;
