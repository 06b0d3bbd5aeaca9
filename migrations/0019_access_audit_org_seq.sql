-- Audit entries are numbered per organization (`org_seq`, their id and cursor), so an organization's ids say nothing
-- of another's activity, as the table-wide `seq` did. Existing entries keep their order.
ALTER TABLE `audit_log` ADD `org_seq` integer;--> statement-breakpoint
UPDATE `audit_log` SET `org_seq` = r.n FROM (SELECT `seq` AS s, row_number() OVER (PARTITION BY `org_id` ORDER BY `seq`) AS n FROM `audit_log`) AS r WHERE `audit_log`.`seq` = r.s;--> statement-breakpoint
DROP INDEX `audit_log_org_seq`;--> statement-breakpoint
CREATE INDEX `audit_log_org_org_seq` ON `audit_log` (`org_id`,`org_seq`);
