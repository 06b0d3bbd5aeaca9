-- The queue's sweep and every sign-in delete an organization's expired dashboard sessions.
CREATE INDEX `auth_sessions_org_expiry` ON `auth_sessions` (`org_id`,`expires_at`);
