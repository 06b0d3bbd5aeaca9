-- The audit log filtered by target (everything done to one task, plan, trigger…) or by actor (everything one token did), newest first.
CREATE INDEX `audit_log_org_target` ON `audit_log` (`org_id`,`target_id`,`org_seq`);--> statement-breakpoint
CREATE INDEX `audit_log_org_actor` ON `audit_log` (`org_id`,`actor_id`,`org_seq`);
