-- Where a cron trigger's schedule counts from (worker/triggers/clock.ts): its create, or its latest change of
-- schedule (cron, timezone) or resume. An edit of its title or inputs moves only `updated_at`, so it no longer
-- skips a fire that came due before it while the alarm ran late.
ALTER TABLE `triggers` ADD `schedule_from` integer DEFAULT 0 NOT NULL;
UPDATE `triggers` SET `schedule_from` = `updated_at`;
