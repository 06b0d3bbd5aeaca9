-- A trigger's `last_task_id` is read from its tasks (the newest by `tasks_trigger_seq`, worker/triggers/fire.ts)
-- rather than kept: a process stopped between a fire's create and a follow-up write left it naming an older task,
-- and a purged task stayed named.
ALTER TABLE `triggers` DROP COLUMN `last_task_id`;
