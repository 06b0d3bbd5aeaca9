-- An organization's spend per month (`month` is its first day, YYYY-MM-01, as monthStart()),
-- kept by triggers on `spend`, so a task's start and the spend report read one row instead
-- of summing every ledger row of the month. Ledger writes are upserts: the insert and the
-- update triggers between them see every change of `cost_nanos`.
CREATE TABLE `spend_months` (
	`org_id` text NOT NULL,
	`month` text NOT NULL,
	`cost_nanos` integer NOT NULL,
	PRIMARY KEY(`org_id`, `month`)
);
--> statement-breakpoint
INSERT INTO spend_months (org_id, month, cost_nanos)
  SELECT org_id, substr(day, 1, 7) || '-01', sum(cost_nanos) FROM spend GROUP BY org_id, substr(day, 1, 7);
--> statement-breakpoint
CREATE TRIGGER `spend_months_ai` AFTER INSERT ON `spend` BEGIN
  INSERT INTO spend_months (org_id, month, cost_nanos) VALUES (new.org_id, substr(new.day, 1, 7) || '-01', new.cost_nanos)
    ON CONFLICT(org_id, month) DO UPDATE SET cost_nanos = cost_nanos + excluded.cost_nanos;
END;
--> statement-breakpoint
CREATE TRIGGER `spend_months_au` AFTER UPDATE OF cost_nanos ON `spend` WHEN new.cost_nanos IS NOT old.cost_nanos BEGIN
  UPDATE spend_months SET cost_nanos = cost_nanos + new.cost_nanos - old.cost_nanos WHERE org_id = new.org_id AND month = substr(new.day, 1, 7) || '-01';
END;
--> statement-breakpoint
CREATE TRIGGER `spend_months_ad` AFTER DELETE ON `spend` BEGIN
  UPDATE spend_months SET cost_nanos = cost_nanos - old.cost_nanos WHERE org_id = old.org_id AND month = substr(old.day, 1, 7) || '-01';
END;
