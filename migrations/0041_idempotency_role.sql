-- The highest role the kept answer's request was checked for (worker/lib/roles.ts), so a replay asks it of the token
-- again: a token demoted since must not be shown a create's answer (a webhook's secret) its role may no longer see.
-- NULL for an answer kept before this column, or one no role was asked for.
ALTER TABLE `idempotency_keys` ADD `role` text;
