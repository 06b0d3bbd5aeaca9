import { createSignal, Show } from "solid-js";
import { api } from "../../api";
import type { ApiToken, Role } from "../../api-types";
import { ListTable } from "../../components/list-table";
import { AdminOnly } from "../../components/role-gate";
import { ConfirmDialog } from "../../components/confirm-dialog";
import { SecretDialog } from "../../components/secret-dialog";
import { ErrorLine } from "../../components/task-actions";
import { toast } from "../../components/toast";
import { errorMessage, fmtDate } from "../../lib/format";
import { createLoader } from "../../lib/loader";
import { createSubmit } from "../../lib/submit";
import { isAdmin, session } from "../../lib/session";

export function TokensSection() {
  return (
    <AdminOnly title="API tokens" text="Only admins see and manage API tokens.">
      <TokensManager />
    </AdminOnly>
  );
}

function TokensManager() {
  const tokens = createLoader(() => api.tokens.list());
  const [name, setName] = createSignal("");
  const [role, setRole] = createSignal<Role>("member");
  const [days, setDays] = createSignal("");
  const { busy, error: err, setError: setErr, run, errorId, field } = createSubmit();
  const [secret, setSecret] = createSignal<string | null>(null);
  const [revoking, setRevoking] = createSignal<ApiToken | null>(null);

  const create = async (e: SubmitEvent) => {
    e.preventDefault();
    if (!name().trim()) return setErr("Name the token.", "name");
    await run(async () => {
      const expiresAt = days() ? new Date(Date.now() + Number(days()) * 86_400_000).toISOString() : undefined;
      const t = await api.tokens.create(name().trim(), role(), expiresAt);
      setName("");
      setSecret(t.token ?? null);
      void tokens.refresh();
    });
  };

  const changeRole = async (t: ApiToken, next: Role) => {
    try {
      await api.tokens.update(t.id, { role: next });
      toast(`${t.name} is now ${next}`);
    } catch (e) {
      toast(errorMessage(e), "error");
    }
    void tokens.refresh();
  };

  const revoke = async (t: ApiToken) => {
    try {
      await api.tokens.revoke(t.id);
      toast(`Revoked ${t.name}`);
      setRevoking(null);
      void tokens.refresh();
    } catch (e) {
      toast(errorMessage(e), "error");
    }
  };

  return (
    <div class="card stack">
      <h2>API tokens</h2>
      <p class="muted small">Tokens are stored hashed; a new token is shown once. A role change holds from the token's next request; revoking a token ends its dashboard sessions.</p>
      <ListTable
        label="API tokens table"
        loader={tokens}
        columns={["Name", "Role", "Created", "Status"]}
        row={(t) => (
          <tr>
            <td>
              {t.name}
              <Show when={t.id === session()?.token.id}>
                <span class="tag tag-accent">this session</span>
              </Show>
            </td>
            <td>
              <Show when={isAdmin() && !t.revoked_at && !t.instance_admin} fallback={<span class="tag">{t.role}</span>}>
                <select value={t.role} aria-label={`Role of ${t.name}`} onChange={(e) => changeRole(t, e.currentTarget.value as Role)}>
                  <option value="viewer">viewer</option>
                  <option value="member">member</option>
                  <option value="admin">admin</option>
                </select>
              </Show>
            </td>
            <td>{fmtDate(t.created_at)}</td>
            <td>
              {t.revoked_at ? (
                <span class="muted">revoked {fmtDate(t.revoked_at)}</span>
              ) : t.expires_at && Date.parse(t.expires_at) <= Date.now() ? (
                <span class="muted">expired {fmtDate(t.expires_at)}</span>
              ) : t.expires_at ? (
                `active, expires ${fmtDate(t.expires_at)}`
              ) : (
                "active"
              )}
            </td>
            <td>
              <Show when={isAdmin() && !t.revoked_at}>
                <button class="btn btn-sm btn-danger-ghost" type="button" onClick={() => setRevoking(t)} aria-label={`Revoke ${t.name}`}>
                  Revoke
                </button>
              </Show>
            </td>
          </tr>
        )}
        empty={{ title: "No tokens" }}
      />
      <Show when={isAdmin()}>
        <form class="row gap-sm wrap align-end" onSubmit={create} aria-label="Create token" novalidate>
          <label class="field">
            <span>Token name</span>
            <input {...field("name")} type="text" value={name()} onInput={(e) => setName(e.currentTarget.value)} placeholder="ci-bot" />
          </label>
          <label class="field">
            <span>Role</span>
            <select {...field("role")} value={role()} onChange={(e) => setRole(e.currentTarget.value as Role)}>
              <option value="viewer">viewer</option>
              <option value="member">member</option>
              <option value="admin">admin</option>
            </select>
          </label>
          <label class="field">
            <span>Expires</span>
            <select {...field("expires_at")} value={days()} onChange={(e) => setDays(e.currentTarget.value)}>
              <option value="">never</option>
              <option value="7">in 7 days</option>
              <option value="30">in 30 days</option>
              <option value="90">in 90 days</option>
            </select>
          </label>
          <button class="btn btn-primary" type="submit" disabled={busy()}>
            Create token
          </button>
        </form>
        <ErrorLine text={err()} id={errorId} />
      </Show>
      <Show when={secret()}>
        {(value) => (
          <SecretDialog title="Your new token" label="New token" value={value()} onDone={() => setSecret(null)}>
            <p>Copy it now — it will not be shown again.</p>
          </SecretDialog>
        )}
      </Show>
      <Show when={revoking()}>
        {(t) => (
          <ConfirmDialog onClose={() => setRevoking(null)} title={`Revoke ${t().name}?`} confirm="Revoke" onConfirm={() => revoke(t())}>
            <p>Anything using this token stops working at once, including its dashboard sessions.</p>
          </ConfirmDialog>
        )}
      </Show>
    </div>
  );
}
