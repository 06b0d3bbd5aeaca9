-- An agent's version, raised by every save: its ETag, so a PUT or DELETE with If-Match cannot undo an edit it never saw.
ALTER TABLE `agents` ADD `version` integer DEFAULT 1 NOT NULL;
