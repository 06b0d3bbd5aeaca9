-- Input tokens a task's runs wrote to the provider's prompt cache (Anthropic prices them apart): without them a
-- task's cost cannot be worked out from the tokens its list item and detail show.
ALTER TABLE `tasks` ADD `tokens_cache_write` integer DEFAULT 0 NOT NULL;
