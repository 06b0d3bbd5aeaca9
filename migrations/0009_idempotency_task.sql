-- The task a create made under an Idempotency-Key, written in the create's own D1 batch: a retry that finds
-- the reservation unanswered (its process stopped) can tell a create that went through from one that did not.
ALTER TABLE `idempotency_keys` ADD `task_id` text;
