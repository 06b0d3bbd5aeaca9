-- A trigger's tasks (`GET /tasks?trigger_id=`), newest first, from one index range. Partial: a task no trigger
-- started (most of them) costs its create no write here. A trigger id is unique across organizations.
CREATE INDEX `tasks_trigger_seq` ON `tasks` (`trigger_id`,`seq`) WHERE `trigger_id` IS NOT NULL;
