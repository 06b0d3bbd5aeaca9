-- The index's copy of a task's text is now folded (worker/db/search-text.ts `foldText`): accents off Greek and Cyrillic
-- letters too, and ß, ø, ł, đ, æ, œ written plain, so `αθηνα` finds Αθήνα and `strasse` Straße. Every row whose text is
-- not plain ASCII is queued again for its copy, which the Worker makes a batch at a time (worker/db/search-reindex.ts);
-- until then a query also looks for the words as typed.
INSERT OR IGNORE INTO tasks_reindex (seq)
SELECT seq FROM tasks WHERE title GLOB '*[^' || char(1) || '-' || char(127) || ']*' OR description GLOB '*[^' || char(1) || '-' || char(127) || ']*';
