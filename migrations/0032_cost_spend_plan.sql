-- The saved plan a ledger row's task was made from (NULL: a task made from an agent alone, a planning
-- conversation, or a row written before this column), so the spend report can group by plan.
ALTER TABLE `spend` ADD `plan_id` text;
