import { createSignal, For, Show } from "solid-js";
import { api } from "../../api";
import type { McpServer } from "../../api-types";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { ListTable } from "../../components/list-table";
import { toast } from "../../components/toast";
import { errorMessage, fmtDate } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { isAdmin } from "../../lib/session";
import { McpServerForm } from "./mcp-server-form";
import { movedTo } from "../../lib/version-conflict";

/** The organization's named MCP servers: everyone sees names, URLs and fingerprints; admins add, rotate and delete. */
export function McpServersSection() {
  const servers = createLoader(() => api.mcpServers.list());
  const [editing, setEditing] = createSignal<McpServer | null | undefined>(undefined);
  const [deleting, setDeleting] = createSignal<McpServer | null>(null);

  const remove = async (s: McpServer) => {
    try {
      await api.mcpServers.remove(s.name, s.version);
      toast(`Deleted ${s.name}`);
      setDeleting(null);
      void servers.refresh();
    } catch (e) {
      // one changed since the list was read is shown as it is now before it can go
      const now = movedTo(e);
      toast(now === null ? errorMessage(e) : `Another admin changed ${s.name} since the list was read (it is now at version ${now}); nothing was deleted. The list shows it as it is now: delete again to delete that.`, "error");
      if (now === null) return;
      setDeleting(null);
      await servers.refresh();
    }
  };

  return (
    <div class="card stack">
      <div class="row space-between wrap gap-sm">
        <h2>MCP servers</h2>
        <Show when={isAdmin()}>
          <button class="btn btn-primary" type="button" onClick={() => setEditing(null)}>
            Add MCP server
          </button>
        </Show>
      </div>
      <p class="muted small">
        Agents reach a server here as the tool <code>mcp:&lt;name&gt;</code>. Its headers (an API key, a bearer token) are stored encrypted and never shown again, only a
        fingerprint that changes when a value is rotated.
      </p>
      <ListTable
        label="MCP servers table"
        loader={servers}
        columns={["Name", "URL", "Headers", "Updated"]}
        row={(s) => (
          <tr>
            <td>
              <code>mcp:{s.name}</code>
            </td>
            <td>
              <code class="small">{s.url}</code>
            </td>
            <td>
              <For each={s.headers} fallback={<span class="muted">none</span>}>
                {(h) => (
                  <span class="tag" title={`fingerprint ${h.fingerprint}`}>
                    {h.name} · {h.fingerprint}
                  </span>
                )}
              </For>
            </td>
            <td>
              {fmtDate(s.updated_at)} <span class="muted small">by {s.updated_by.name}</span>
            </td>
            <td>
              <Show when={isAdmin()}>
                <div class="row gap-sm">
                  <button class="btn btn-sm" type="button" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                    Edit
                  </button>
                  <button class="btn btn-sm btn-danger-ghost" type="button" onClick={() => setDeleting(s)} aria-label={`Delete ${s.name}`}>
                    Delete
                  </button>
                </div>
              </Show>
            </td>
          </tr>
        )}
        empty={{ title: "No MCP servers", text: "An admin adds one with its credentials; agents then use it by name." }}
      />
      <Show when={editing() !== undefined}>
        <McpServerForm server={editing() ?? null} onClose={() => setEditing(undefined)} onSaved={() => void servers.refresh()} />
      </Show>
      <Show when={deleting()}>
        {(s) => (
          <ConfirmDialog onClose={() => setDeleting(null)} title={`Delete ${s().name}?`} confirm="Delete" onConfirm={() => remove(s())}>
            <p>Its headers are deleted with it. A run that starts after this and uses mcp:{s().name} fails, naming it.</p>
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}
