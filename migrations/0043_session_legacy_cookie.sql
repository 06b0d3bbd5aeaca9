-- Whether a session's cookie may come under the name sessions had before `__Host-fd_session`: one issued under it (kept
-- so no one was signed out by the change, and where plain http on another host cannot hold the new name). A session
-- issued as `__Host-fd_session` is refused under the old name, which a sibling host can set on the parent domain: it
-- would sign a browser without a session of its own into the sender's. Sessions before this column may be either.
ALTER TABLE `auth_sessions` ADD `legacy_cookie` integer DEFAULT 0 NOT NULL;
--> statement-breakpoint
UPDATE `auth_sessions` SET `legacy_cookie` = 1;
