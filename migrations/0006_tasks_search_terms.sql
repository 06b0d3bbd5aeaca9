-- The vocabulary of `tasks_search`, one row per term instance, in term order. A search
-- word longer than the longest prefix index (6) is expanded to the whole terms it starts
-- (worker/db/task-queries.ts), so FTS5 seeks in their postings instead of merging the
-- postings of the prefix across every organization for each statement.
CREATE VIRTUAL TABLE `tasks_search_terms` USING fts5vocab(tasks_search, instance);
