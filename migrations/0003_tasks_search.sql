-- Name search scoped to one organization and its filters: besides title and
-- description, every row carries hidden `tags` tokens (organization, and
-- organization+status/source/agent, hex-encoded), so a MATCH only walks the
-- postings of one organization and stops after a page in rowid order.
-- Contentless: the text lives in `tasks`; deletes pass the old values.
DROP TRIGGER IF EXISTS `tasks_fts_ai`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_fts_ad`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_fts_au`;
--> statement-breakpoint
DROP TABLE IF EXISTS `tasks_fts`;
--> statement-breakpoint
CREATE VIRTUAL TABLE `tasks_search` USING fts5(title, description, tags, content='', prefix='2 3 4 5 6', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
INSERT INTO tasks_search(rowid, title, description, tags)
  SELECT seq, title, description,
    'o' || hex(org_id) || ' s' || hex(org_id || ' ' || status) || ' r' || hex(org_id || ' ' || source) || ' a' || hex(org_id || ' ' || coalesce(agent, ''))
  FROM tasks;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_ai` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO tasks_search(rowid, title, description, tags) VALUES (new.seq, new.title, new.description,
    'o' || hex(new.org_id) || ' s' || hex(new.org_id || ' ' || new.status) || ' r' || hex(new.org_id || ' ' || new.source) || ' a' || hex(new.org_id || ' ' || coalesce(new.agent, '')));
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_ad` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO tasks_search(tasks_search, rowid, title, description, tags) VALUES ('delete', old.seq, old.title, old.description,
    'o' || hex(old.org_id) || ' s' || hex(old.org_id || ' ' || old.status) || ' r' || hex(old.org_id || ' ' || old.source) || ' a' || hex(old.org_id || ' ' || coalesce(old.agent, '')));
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_au` AFTER UPDATE OF title, description, org_id, status, source, agent ON `tasks`
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.org_id IS NOT new.org_id
  OR old.status IS NOT new.status OR old.source IS NOT new.source OR old.agent IS NOT new.agent
BEGIN
  INSERT INTO tasks_search(tasks_search, rowid, title, description, tags) VALUES ('delete', old.seq, old.title, old.description,
    'o' || hex(old.org_id) || ' s' || hex(old.org_id || ' ' || old.status) || ' r' || hex(old.org_id || ' ' || old.source) || ' a' || hex(old.org_id || ' ' || coalesce(old.agent, '')));
  INSERT INTO tasks_search(rowid, title, description, tags) VALUES (new.seq, new.title, new.description,
    'o' || hex(new.org_id) || ' s' || hex(new.org_id || ' ' || new.status) || ' r' || hex(new.org_id || ' ' || new.source) || ' a' || hex(new.org_id || ' ' || coalesce(new.agent, '')));
END;
