-- Full-text name search over the task index (external content: the rows live in `tasks`).
CREATE VIRTUAL TABLE `tasks_fts` USING fts5(title, description, content='tasks', content_rowid='seq', prefix='2 3 4', tokenize='unicode61 remove_diacritics 2');
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_ai` AFTER INSERT ON `tasks` BEGIN
  INSERT INTO tasks_fts(rowid, title, description) VALUES (new.seq, new.title, new.description);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_ad` AFTER DELETE ON `tasks` BEGIN
  INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.seq, old.title, old.description);
END;
--> statement-breakpoint
CREATE TRIGGER `tasks_fts_au` AFTER UPDATE OF title, description ON `tasks` BEGIN
  INSERT INTO tasks_fts(tasks_fts, rowid, title, description) VALUES ('delete', old.seq, old.title, old.description);
  INSERT INTO tasks_fts(rowid, title, description) VALUES (new.seq, new.title, new.description);
END;
