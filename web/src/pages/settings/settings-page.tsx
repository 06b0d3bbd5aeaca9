import { useSearchParams } from "@solidjs/router";
import { For, Match, Switch } from "solid-js";
import { usePageTitle } from "../../lib/page-title";
import { onTabKeys } from "../../lib/tab-keys";
import { AuditSection } from "./audit-section";
import { LimitsSection } from "./limits-section";
import { McpServersSection } from "./mcp-servers-section";
import { NotificationsSection } from "./notifications-section";
import { PricingSection } from "./pricing-section";
import { TokensSection } from "./tokens-section";
import { TriggersSection } from "./triggers-section";

const TABS = [
  { id: "pricing", label: "Pricing" },
  { id: "tokens", label: "API tokens" },
  { id: "mcp", label: "MCP servers" },
  { id: "triggers", label: "Triggers" },
  { id: "audit", label: "Audit log" },
  { id: "notifications", label: "Notifications" },
  { id: "limits", label: "Limits & spend" },
] as const;
type TabId = (typeof TABS)[number]["id"];

export function SettingsPage() {
  const [params, setParams] = useSearchParams<{ tab?: string }>();
  const tab = (): TabId => (TABS.some((t) => t.id === params.tab) ? (params.tab as TabId) : "pricing");
  usePageTitle(() => `Settings › ${TABS.find((t) => t.id === tab())?.label}`);
  return (
    <section class="page" aria-labelledby="settings-title">
      <header class="page-head">
        <div>
          <h1 id="settings-title">Settings</h1>
          <p class="muted">Pricing, access and automation for your organization.</p>
        </div>
      </header>
      <div class="tabs tabs-underline" role="tablist" aria-label="Settings sections" onKeyDown={onTabKeys}>
        <For each={TABS}>
          {(t) => (
            <button role="tab" type="button" class="tab" id={`settings-tab-${t.id}`} aria-selected={tab() === t.id} aria-controls="settings-panel" tabindex={tab() === t.id ? 0 : -1} onClick={() => setParams({ tab: t.id }, { replace: true })}>
              {t.label}
            </button>
          )}
        </For>
      </div>
      <div id="settings-panel" role="tabpanel" aria-labelledby={`settings-tab-${tab()}`} class="stack">
        <Switch>
          <Match when={tab() === "pricing"}>
            <PricingSection />
          </Match>
          <Match when={tab() === "tokens"}>
            <TokensSection />
          </Match>
          <Match when={tab() === "mcp"}>
            <McpServersSection />
          </Match>
          <Match when={tab() === "triggers"}>
            <TriggersSection />
          </Match>
          <Match when={tab() === "audit"}>
            <AuditSection />
          </Match>
          <Match when={tab() === "notifications"}>
            <NotificationsSection />
          </Match>
          <Match when={tab() === "limits"}>
            <LimitsSection />
          </Match>
        </Switch>
      </div>
    </section>
  );
}
