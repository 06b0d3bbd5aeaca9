import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import type { Agent, AgentInput } from "../../api-types";
import { Modal } from "../../components/modal";
import { FormFooter } from "../../components/form-footer";
import { toast } from "../../components/toast";
import { createLoader } from "../../lib/loader";
import { createSubmit } from "../../lib/submit";
import { numberInput } from "../../lib/number-input";
import { movedTo } from "../../lib/version-conflict";
import { PlansNaming } from "./plans-naming";

const toolList = (text: string) =>
  text
    .split(",")
    .map((t) => t.trim())
    .filter(Boolean);

/** An optional limit as typed: empty is no limit (null); anything else is its number, checked by the caller. */
const orNull = (v: string): number | null => (v.trim() === "" ? null : Number(v));

export function AgentForm(props: { agent: Agent | null; onClose: () => void; onSaved: () => void }) {
  const a = props.agent;
  const [name, setName] = createSignal(a?.name ?? "");
  const [model, setModel] = createSignal(a?.model ?? "sim");
  const [prompt, setPrompt] = createSignal(a?.system_prompt ?? "");
  const [tools, setTools] = createSignal((a?.tools ?? []).join(", "));
  // the API's default, so an agent made here gets what one made with the API does
  const [maxTurns, setMaxTurns] = createSignal(String(a?.max_turns ?? 20));
  const [maxCost, setMaxCost] = createSignal(a?.max_cost == null ? "" : String(a.max_cost));
  const [maxConcurrency, setMaxConcurrency] = createSignal(a?.max_concurrency == null ? "" : String(a.max_concurrency));
  const [maxToolCalls, setMaxToolCalls] = createSignal(a?.max_tool_calls_per_turn == null ? "" : String(a.max_tool_calls_per_turn));
  const { busy, error: err, setError: setErr, run, unreadable, errorId, field } = createSubmit();
  // the organization's named servers, offered by name: their credentials stay in Settings. A loader, not a resource:
  // a resource would suspend the page behind the form, taking its opener (and the focus to give back) off the page.
  const servers = createLoader(() => api.mcpServers.list().then((p) => p.items).catch(() => []));
  const toggleServer = (tool: string, on: boolean) => {
    const rest = toolList(tools()).filter((t) => t !== tool);
    setTools((on ? [...rest, tool] : rest).join(", "));
  };

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (unreadable()) return;
    const input: AgentInput = {
      name: name().trim(),
      model: model().trim(),
      system_prompt: prompt(),
      tools: toolList(tools()),
      max_turns: Number(maxTurns()),
      max_cost: orNull(maxCost()),
      max_concurrency: orNull(maxConcurrency()),
      max_tool_calls_per_turn: orNull(maxToolCalls()),
    };
    if (!input.name) return setErr("Name is required.", "name");
    if (!Number.isInteger(input.max_turns) || input.max_turns < 1) return setErr("Max turns must be a whole number of at least 1.", "max_turns");
    if (input.max_cost !== null && !(input.max_cost > 0)) return setErr("Max cost must be an amount in USD above 0, or empty for no limit.", "max_cost");
    if (input.max_concurrency !== null && !(Number.isInteger(input.max_concurrency) && input.max_concurrency >= 1))
      return setErr("Max concurrent tasks must be a whole number of at least 1, or empty for no limit.", "max_concurrency");
    if (input.max_tool_calls_per_turn !== null && !(Number.isInteger(input.max_tool_calls_per_turn) && input.max_tool_calls_per_turn >= 1))
      return setErr("Max tool calls per turn must be a whole number of at least 1, or empty for the instance's limit.", "max_tool_calls_per_turn");
    await run(async () => {
      if (a) {
        await api.agents.update(a.id, input, a.version).catch((e: unknown) => {
          const now = movedTo(e);
          if (now === null) throw e;
          props.onSaved();
          throw new Error(`Another admin saved this agent since you opened it (it is now at version ${now}); nothing was saved. Close this form and open it again to see their changes.`);
        });
      }
      else await api.agents.create(input);
      toast(a ? "Agent saved" : "Agent created");
      props.onSaved();
      props.onClose();
    });
  };

  return (
    <Modal open onClose={props.onClose} title={a ? `Edit ${a.name}` : "New agent"}>
      <form class="stack" onSubmit={submit} novalidate>
        <div class="grid-2">
          <label class="field">
            <span>Name</span>
            <input {...field("name")} type="text" value={name()} onInput={(e) => setName(e.currentTarget.value)} required />
          </label>
          <label class="field">
            <span>Model</span>
            <input {...field("model")} type="text" list="model-hints" value={model()} onInput={(e) => setModel(e.currentTarget.value)} required />
            <datalist id="model-hints">
              <option value="sim" />
              <option value="openai:gpt-4o-mini" />
              <option value="anthropic:claude-sonnet-4-5" />
            </datalist>
          </label>
        </div>
        <Show when={a && name().trim() !== "" && name().trim() !== a.name ? a : null}>{(was) => <PlansNaming agent={was().name} change="rename" />}</Show>
        <label class="field">
          <span>System prompt</span>
          <textarea {...field("system_prompt")} rows={6} value={prompt()} onInput={(e) => setPrompt(e.currentTarget.value)} />
        </label>
        <div class="grid-2">
          <label class="field">
            <span>Tools (comma separated)</span>
            <input {...field("tools")} type="text" value={tools()} onInput={(e) => setTools(e.currentTarget.value)} placeholder="web_search, ask_human, mcp:<server>" />
          </label>
          <label class="field">
            <span>Max turns</span>
            <input {...field("max_turns")} type="number" min="1" value={maxTurns()} onInput={numberInput(setMaxTurns)} />
          </label>
        </div>
        <Show when={servers.data?.length}>
          <fieldset class="row gap-sm wrap">
            <legend>MCP servers</legend>
            <For each={servers.data}>
              {(srv) => (
                <label class="row gap-xs">
                  <input type="checkbox" checked={toolList(tools()).includes(`mcp:${srv.name}`)} onChange={(e) => toggleServer(`mcp:${srv.name}`, e.currentTarget.checked)} />
                  <span>
                    mcp:{srv.name} <span class="muted small">{srv.url}</span>
                  </span>
                </label>
              )}
            </For>
          </fieldset>
        </Show>
        <div class="grid-2">
          <label class="field">
            <span>Max cost per task (USD)</span>
            <input {...field("max_cost")} type="number" min="0" step="any" value={maxCost()} onInput={numberInput(setMaxCost)} placeholder="no limit" />
          </label>
          <label class="field">
            <span>Max concurrent tasks</span>
            <input {...field("max_concurrency")} type="number" min="1" step="1" value={maxConcurrency()} onInput={numberInput(setMaxConcurrency)} placeholder="no limit" />
          </label>
        </div>
        <div class="grid-2">
          <label class="field">
            <span>Max tool calls per turn</span>
            <input {...field("max_tool_calls_per_turn")} type="number" min="1" step="1" value={maxToolCalls()} onInput={numberInput(setMaxToolCalls)} placeholder="the instance's limit" />
          </label>
        </div>
        <FormFooter error={err()} errorId={errorId} busy={busy()} onCancel={props.onClose} submit={a ? "Save" : "Create agent"} />
      </form>
    </Modal>
  );
}
