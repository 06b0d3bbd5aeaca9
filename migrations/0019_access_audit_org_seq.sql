-- Audit entries are numbered per organization (`org_seq`, their id and cursor), so an organization's ids say nothing
-- of another's activity, as the table-wide `seq` did. Existing entries keep the numbers they had (their `seq`), so an id
-- or cursor a client holds names the same entry after the upgrade; an organization's new entries go on from its highest.
ALTER TABLE `audit_log` ADD `org_seq` integer;--> statement-breakpoint
UPDATE `audit_log` SET `org_seq` = `seq`;--> statement-breakpoint
DROP INDEX `audit_log_org_seq`;--> statement-breakpoint
CREATE INDEX `audit_log_org_org_seq` ON `audit_log` (`org_id`,`org_seq`);
