-- A webhook's secret before its latest rotation, still accepted until `previous_secret_expires_at` (ms), so a
-- sender mid-deploy loses no delivery (worker/triggers/secret-rotation.ts). Null: none accepted.
ALTER TABLE `triggers` ADD `previous_secret` text;
ALTER TABLE `triggers` ADD `previous_secret_expires_at` integer;
