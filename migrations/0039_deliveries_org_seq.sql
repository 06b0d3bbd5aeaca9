-- Delivery log entries are numbered per organization (`org_seq`, their id and cursor), so an organization's ids say nothing
-- of another's deliveries, as the table-wide `seq` did. Existing entries keep the numbers they had (their `seq`), so an id
-- or cursor a client holds names the same attempt after the upgrade; an organization's new attempts go on from its highest. The list, its filters (subscription,
-- outcome, event) and the pruning of old attempts read the organization's entries by `org_seq`, so their indexes move to it.
ALTER TABLE `notification_deliveries` ADD `org_seq` integer;--> statement-breakpoint
UPDATE `notification_deliveries` SET `org_seq` = `seq`;--> statement-breakpoint
DROP INDEX `notification_deliveries_org`;--> statement-breakpoint
DROP INDEX `notification_deliveries_sub`;--> statement-breakpoint
DROP INDEX `notification_deliveries_outcome`;--> statement-breakpoint
DROP INDEX `notification_deliveries_event`;--> statement-breakpoint
CREATE INDEX `notification_deliveries_org_org_seq` ON `notification_deliveries` (`org_id`,`org_seq`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_sub_org_seq` ON `notification_deliveries` (`org_id`,`subscription_id`,`org_seq`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_outcome_org_seq` ON `notification_deliveries` (`org_id`,`outcome`,`org_seq`);--> statement-breakpoint
CREATE INDEX `notification_deliveries_event_org_seq` ON `notification_deliveries` (`org_id`,`event_type`,`org_seq`);
