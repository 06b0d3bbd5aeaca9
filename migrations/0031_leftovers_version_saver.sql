-- Who saved each plan version (the actor as the audit log names it), for the versions API and the plan's
-- version list. Versions saved before this take it from the audit log's entry for that save; else NULL (unknown).
ALTER TABLE `plan_versions` ADD `saved_by_type` text;
ALTER TABLE `plan_versions` ADD `saved_by_id` text;
ALTER TABLE `plan_versions` ADD `saved_by_name` text;
UPDATE `plan_versions` SET (`saved_by_type`, `saved_by_id`, `saved_by_name`) = (
  SELECT a.actor_type, a.actor_id, a.actor_name FROM audit_log a
  WHERE a.org_id = (SELECT org_id FROM plans WHERE id = plan_versions.plan_id) AND a.target_id = plan_versions.plan_id AND a.target_type = 'plan'
    AND ((a.action = 'plan.create' AND plan_versions.version = 1) OR (a.action = 'plan.update' AND json_extract(a.details, '$.version') = plan_versions.version))
  ORDER BY a.seq LIMIT 1
) WHERE `saved_by_id` IS NULL;
