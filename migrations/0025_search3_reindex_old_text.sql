-- A task's title and description are written once, at its create; since migration 0017 the index reads them from
-- a copy in NFKC with unspaced scripts set apart (worker/db/search-text.ts). Rows written before it kept their
-- descriptions as they were, and their titles without NFKC (SQL has none), so `客户` did not find 北京的客户分析 in
-- a description, nor `ABC` a title in ＡＢＣ. Every row whose text is not plain ASCII is queued here, and the
-- Worker gives it its copy a batch at a time after lists and summaries (worker/db/search-reindex.ts).
CREATE TABLE `tasks_reindex` (
	`seq` integer PRIMARY KEY NOT NULL
);
--> statement-breakpoint
INSERT OR IGNORE INTO tasks_reindex (seq)
SELECT seq FROM tasks WHERE title GLOB '*[^' || char(1) || '-' || char(127) || ']*' OR description GLOB '*[^' || char(1) || '-' || char(127) || ']*';
