-- An agent's own bound on the tool calls one model turn may have run, under the instance's MAX_TOOL_CALLS_PER_TURN
-- (worker/agents/loop.ts); null: the instance's bound alone.
ALTER TABLE `agents` ADD `max_tool_calls_per_turn` integer;
