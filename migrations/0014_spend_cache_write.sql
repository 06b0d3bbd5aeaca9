-- Input tokens the runs wrote to the provider's prompt cache (Anthropic prices them apart), per ledger row, so the
-- spend report's tokens account for its costs as a task's do.
ALTER TABLE `spend` ADD `tokens_cache_write` integer DEFAULT 0 NOT NULL;
