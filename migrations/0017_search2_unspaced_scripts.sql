-- Scripts written without spaces between words (Han, hiragana, katakana) were one FTS5 token per run of
-- text, so only a title's first characters could be searched for (東京 found 東京の市場調査, 市場 did not).
-- A task whose title or description holds them keeps a copy with each such character set apart, in NFKC as a
-- query is read (worker/db/search-text.ts: fullwidth ＡＢＣ is ABC there), and the index reads that copy;
-- other tasks keep NULL there and are indexed as before. Contentless FTS5 deletes must pass what the row was indexed with, so the triggers read the same
-- coalesce. The UPDATE at the end gives existing titles their copy (and, through the trigger, their terms).
-- Existing descriptions stay as they were indexed, and a search still matches the start of their runs as
-- before: SQL reads a text's n-th character from its start, so setting apart up to 20,000 characters
-- costs seconds a row, past D1's time for one statement on a large index.
ALTER TABLE `tasks` ADD `search_title` text;
--> statement-breakpoint
ALTER TABLE `tasks` ADD `search_description` text;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_ai`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_ad`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_au`;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_ai` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO tasks_search(rowid, title, description, tags) VALUES (new.seq, coalesce(new.search_title, new.title), coalesce(new.search_description, new.description),
    'o' || hex(new.org_id) || ' s' || hex(new.org_id || ' ' || new.status) || ' r' || hex(new.org_id || ' ' || new.source)
      || coalesce((SELECT group_concat(' a' || hex(new.org_id || ' ' || value), '') FROM
        (SELECT new.agent AS value WHERE new.agent IS NOT NULL UNION SELECT value FROM json_each(new.agents))), ''));
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_ad` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO tasks_search(tasks_search, rowid, title, description, tags) VALUES ('delete', old.seq, coalesce(old.search_title, old.title), coalesce(old.search_description, old.description),
    'o' || hex(old.org_id) || ' s' || hex(old.org_id || ' ' || old.status) || ' r' || hex(old.org_id || ' ' || old.source)
      || coalesce((SELECT group_concat(' a' || hex(old.org_id || ' ' || value), '') FROM
        (SELECT old.agent AS value WHERE old.agent IS NOT NULL UNION SELECT value FROM json_each(old.agents))), ''));
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_au` AFTER UPDATE OF title, description, search_title, search_description, org_id, status, source, agent, agents ON `tasks`
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.search_title IS NOT new.search_title
  OR old.search_description IS NOT new.search_description OR old.org_id IS NOT new.org_id
  OR old.status IS NOT new.status OR old.source IS NOT new.source OR old.agent IS NOT new.agent OR old.agents IS NOT new.agents
BEGIN
  INSERT INTO tasks_search(tasks_search, rowid, title, description, tags) VALUES ('delete', old.seq, coalesce(old.search_title, old.title), coalesce(old.search_description, old.description),
    'o' || hex(old.org_id) || ' s' || hex(old.org_id || ' ' || old.status) || ' r' || hex(old.org_id || ' ' || old.source)
      || coalesce((SELECT group_concat(' a' || hex(old.org_id || ' ' || value), '') FROM
        (SELECT old.agent AS value WHERE old.agent IS NOT NULL UNION SELECT value FROM json_each(old.agents))), ''));
  INSERT INTO tasks_search(rowid, title, description, tags) VALUES (new.seq, coalesce(new.search_title, new.title), coalesce(new.search_description, new.description),
    'o' || hex(new.org_id) || ' s' || hex(new.org_id || ' ' || new.status) || ' r' || hex(new.org_id || ' ' || new.source)
      || coalesce((SELECT group_concat(' a' || hex(new.org_id || ' ' || value), '') FROM
        (SELECT new.agent AS value WHERE new.agent IS NOT NULL UNION SELECT value FROM json_each(new.agents))), ''));
END;
--> statement-breakpoint
UPDATE tasks SET search_title = (WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c WHERE i < length(tasks.title))
    SELECT group_concat(iif(unicode(substr(tasks.title, i, 1)) BETWEEN 12352 AND 12543 OR unicode(substr(tasks.title, i, 1)) BETWEEN 13312 AND 19903 OR unicode(substr(tasks.title, i, 1)) BETWEEN 19968 AND 40959 OR unicode(substr(tasks.title, i, 1)) BETWEEN 63744 AND 64255 OR unicode(substr(tasks.title, i, 1)) BETWEEN 131072 AND 196607, ' ' || substr(tasks.title, i, 1) || ' ', substr(tasks.title, i, 1)), '') FROM c)
WHERE title GLOB '*[぀-ヿ㐀-䶿一-鿿豈-﫿𠀀-𯿿]*';
