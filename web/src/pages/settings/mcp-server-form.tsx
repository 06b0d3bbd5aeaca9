import { createSignal, Index, Show } from "solid-js";
import { api } from "../../api";
import type { McpServer } from "../../api-types";
import { FormFooter } from "../../components/form-footer";
import { Modal } from "../../components/modal";
import { toast } from "../../components/toast";
import { createSubmit } from "../../lib/submit";
import { movedTo } from "../../lib/version-conflict";

interface HeaderRow {
  name: string;
  value: string;
}

/**
 * Adds a named MCP server, or replaces one (its URL and every header). Values are write-only: the API never sends
 * them back, so an edit asks for each again, and a rotation is an edit with the new value.
 */
export function McpServerForm(props: { server: McpServer | null; onClose: () => void; onSaved: () => void }) {
  const s = props.server;
  const [name, setName] = createSignal(s?.name ?? "");
  const [url, setUrl] = createSignal(s?.url ?? "");
  const [headers, setHeaders] = createSignal<HeaderRow[]>(s ? s.headers.map((h) => ({ name: h.name, value: "" })) : [{ name: "Authorization", value: "" }]);
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();
  const setRow = (i: number, change: Partial<HeaderRow>) => setHeaders((rows) => rows.map((r, j) => (j === i ? { ...r, ...change } : r)));

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!name().trim()) return setErr("Name the server: agents use it as mcp:<name>.", "name");
    if (!url().trim()) return setErr("Give the server's URL.", "url");
    const rows = headers().filter((h) => h.name.trim() || h.value);
    const missing = rows.find((h) => !h.name.trim() || !h.value);
    if (missing) return setErr(missing.name.trim() ? `Enter the value of ${missing.name.trim()}: values are never shown, so an edit sets each again.` : "Name every header, or remove the row.", "headers");
    const input = { url: url().trim(), headers: Object.fromEntries(rows.map((h) => [h.name.trim(), h.value])) };
    await run(async () => {
      // nothing is saved over a change this form never saw: another admin's edit (a rotated credential), or a server added by that name meanwhile
      await (s ? api.mcpServers.update(s.name, input, s.version) : api.mcpServers.add(name().trim(), input)).catch((e: unknown) => {
        const now = movedTo(e);
        if (now === null) throw e;
        props.onSaved();
        throw new Error(
          s
            ? `Another admin saved ${s.name} since you opened it (it is now at version ${now}); nothing was saved. Close this form and open it again to see their changes.`
            : `An MCP server named ${name().trim()} exists already; nothing was saved. Pick another name, or close this form and edit that one.`,
        );
      });
      toast(s ? `Saved ${s.name}` : `Added ${name().trim()}`);
      props.onSaved();
      props.onClose();
    });
  };

  return (
    <Modal open onClose={props.onClose} title={s ? `Edit ${s.name}` : "New MCP server"}>
      <form class="stack" onSubmit={submit} autocomplete="off" novalidate>
        <div class="grid-2">
          <label class="field">
            <span>Name</span>
            <input {...field("name")} type="text" value={name()} onInput={(e) => setName(e.currentTarget.value)} readOnly={!!s} placeholder="notes" required />
          </label>
          <label class="field">
            <span>URL</span>
            <input {...field("url")} type="url" value={url()} onInput={(e) => setUrl(e.currentTarget.value)} placeholder="https://mcp.example.com/mcp" required />
          </label>
        </div>
        <fieldset class="stack gap-sm">
          <legend>Headers</legend>
          <p class="muted small">
            Sent with every request to this URL's origin only, never across a redirect to another. Values are write-only{s ? ": enter each again to keep or rotate it" : ""}.
          </p>
          <Index each={headers()}>
            {(h, i) => (
              <div class="row gap-sm wrap align-end">
                <label class="field">
                  <span>Header name</span>
                  <input {...field("headers")} type="text" value={h().name} onInput={(e) => setRow(i, { name: e.currentTarget.value })} placeholder="Authorization" />
                </label>
                <label class="field">
                  <span>Value</span>
                  <input type="password" autocomplete="new-password" value={h().value} onInput={(e) => setRow(i, { value: e.currentTarget.value })} placeholder={h().name.toLowerCase() === "authorization" ? "Bearer …" : "the value"} />
                </label>
                <button class="btn btn-sm btn-danger-ghost" type="button" aria-label={`Remove header ${h().name || i + 1}`} onClick={() => setHeaders((rows) => rows.filter((_, j) => j !== i))}>
                  Remove
                </button>
              </div>
            )}
          </Index>
          <div>
            <button class="btn btn-sm" type="button" onClick={() => setHeaders((rows) => [...rows, { name: "", value: "" }])} disabled={headers().length >= 10}>
              Add header
            </button>
          </div>
        </fieldset>
        <Show when={s}>{(x) => <p class="muted small">Saving replaces every header of {x().name}; runs that start after it use the new values.</p>}</Show>
        <FormFooter error={err()} errorId={errorId} busy={busy()} onCancel={props.onClose} submit={s ? "Save" : "Add server"} />
      </form>
    </Modal>
  );
}
