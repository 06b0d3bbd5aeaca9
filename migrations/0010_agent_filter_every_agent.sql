-- The agent filter matches a task by any of its plan's agents, not only its first step's: every agent of
-- `agents` (and `agent`) gets its own hidden `a` tag token (see 0003), so `?agent=` is one FTS5 walk of that
-- tag's postings, newest first, as the status and source filters are. The first step's agent alone had an
-- index of its own, which nothing reads any more. Contentless FTS5 deletes must pass exactly the tokens the
-- row was indexed with, so every row is indexed again with the new tags.
DROP INDEX IF EXISTS `tasks_org_agent_seq`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_ai`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_ad`;
--> statement-breakpoint
DROP TRIGGER IF EXISTS `tasks_search_au`;
--> statement-breakpoint
INSERT INTO tasks_search(tasks_search) VALUES ('delete-all');
--> statement-breakpoint
INSERT INTO tasks_search(rowid, title, description, tags)
  SELECT seq, title, description,
    'o' || hex(tasks.org_id) || ' s' || hex(tasks.org_id || ' ' || tasks.status) || ' r' || hex(tasks.org_id || ' ' || tasks.source)
      || coalesce((SELECT group_concat(' a' || hex(tasks.org_id || ' ' || value), '') FROM
        (SELECT tasks.agent AS value WHERE tasks.agent IS NOT NULL UNION SELECT value FROM json_each(tasks.agents))), '')
  FROM tasks;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_ai` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO tasks_search(rowid, title, description, tags) VALUES (new.seq, new.title, new.description,
    'o' || hex(new.org_id) || ' s' || hex(new.org_id || ' ' || new.status) || ' r' || hex(new.org_id || ' ' || new.source)
      || coalesce((SELECT group_concat(' a' || hex(new.org_id || ' ' || value), '') FROM
        (SELECT new.agent AS value WHERE new.agent IS NOT NULL UNION SELECT value FROM json_each(new.agents))), ''));
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_ad` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO tasks_search(tasks_search, rowid, title, description, tags) VALUES ('delete', old.seq, old.title, old.description,
    'o' || hex(old.org_id) || ' s' || hex(old.org_id || ' ' || old.status) || ' r' || hex(old.org_id || ' ' || old.source)
      || coalesce((SELECT group_concat(' a' || hex(old.org_id || ' ' || value), '') FROM
        (SELECT old.agent AS value WHERE old.agent IS NOT NULL UNION SELECT value FROM json_each(old.agents))), ''));
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_search_au` AFTER UPDATE OF title, description, org_id, status, source, agent, agents ON `tasks`
WHEN old.title IS NOT new.title OR old.description IS NOT new.description OR old.org_id IS NOT new.org_id
  OR old.status IS NOT new.status OR old.source IS NOT new.source OR old.agent IS NOT new.agent OR old.agents IS NOT new.agents
BEGIN
  INSERT INTO tasks_search(tasks_search, rowid, title, description, tags) VALUES ('delete', old.seq, old.title, old.description,
    'o' || hex(old.org_id) || ' s' || hex(old.org_id || ' ' || old.status) || ' r' || hex(old.org_id || ' ' || old.source)
      || coalesce((SELECT group_concat(' a' || hex(old.org_id || ' ' || value), '') FROM
        (SELECT old.agent AS value WHERE old.agent IS NOT NULL UNION SELECT value FROM json_each(old.agents))), ''));
  INSERT INTO tasks_search(rowid, title, description, tags) VALUES (new.seq, new.title, new.description,
    'o' || hex(new.org_id) || ' s' || hex(new.org_id || ' ' || new.status) || ' r' || hex(new.org_id || ' ' || new.source)
      || coalesce((SELECT group_concat(' a' || hex(new.org_id || ' ' || value), '') FROM
        (SELECT new.agent AS value WHERE new.agent IS NOT NULL UNION SELECT value FROM json_each(new.agents))), ''));
END;
