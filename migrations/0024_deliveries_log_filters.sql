-- The delivery log's outcome and event filters page by `seq` within an organization, like its unfiltered list.
CREATE INDEX `notification_deliveries_outcome` ON `notification_deliveries` (`org_id`,`outcome`,`seq`);
--> statement-breakpoint
CREATE INDEX `notification_deliveries_event` ON `notification_deliveries` (`org_id`,`event_type`,`seq`);
