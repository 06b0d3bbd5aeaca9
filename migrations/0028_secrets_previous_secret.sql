-- A webhook's secret before its latest rotation, accepted until `previous_secret_expires_at` (ms), so a sender
-- mid-deploy loses no delivery; kept after that only to tell a sender still using it why it is refused
-- (worker/triggers/secret-rotation.ts). Null: never rotated.
ALTER TABLE `triggers` ADD `previous_secret` text;
ALTER TABLE `triggers` ADD `previous_secret_expires_at` integer;
