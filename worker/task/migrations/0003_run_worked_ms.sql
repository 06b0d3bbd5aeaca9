-- The time a run has spent working, so its timeout is not granted afresh when it goes on after a wait or a restart.
ALTER TABLE `runs` ADD `worked_ms` integer DEFAULT 0 NOT NULL;
