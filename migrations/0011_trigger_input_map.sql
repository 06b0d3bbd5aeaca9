-- A webhook trigger's map from plan params to dot paths into a delivery's JSON body (worker/triggers/input-map.ts);
-- null: the body itself is the inputs.
ALTER TABLE `triggers` ADD `input_map` text;
