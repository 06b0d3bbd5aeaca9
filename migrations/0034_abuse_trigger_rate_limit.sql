-- A webhook trigger's own cap on deliveries a minute; NULL: the instance's WEBHOOK_RATE_LIMIT_PER_MIN.
ALTER TABLE `triggers` ADD `rate_limit_per_min` integer;
