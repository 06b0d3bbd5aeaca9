import { describe, expect, it } from "vitest";
import type { Locator, Page } from "playwright-core";
import { startMcp } from "../fake-servers/mcp";
import { apiCall, type App, type Browser, uid, useDashboard } from "./helpers";

/** Named MCP servers as an admin sets them in Settings and gives them to an agent, through `npm start`'s real parts. */

let app: App;
let browser: Browser;
let page: Page;

useDashboard((d) => ({ app, browser, page } = d));

interface Server {
  name: string;
  headers: { name: string; fingerprint: string }[];
}

describe("MCP servers in Settings", () => {
  it("adds a server with a write-only credential, rotates it, offers it in the agent form, and deletes it", async () => {
    const mcp = await startMcp();
    try {
      const tag = uid();
      const name = `notes-${uid()}`;
      const first = `Bearer e2e-first-${uid()}${uid()}`;
      const second = `Bearer e2e-second-${uid()}${uid()}`;
      await page.goto(`${app.url}/settings?tab=mcp`);
      await page.getByRole("button", { name: "Add MCP server" }).click();
      const dialog = page.getByRole("dialog", { name: "New MCP server" });
      await dialog.getByLabel("Name", { exact: true }).fill(name);
      await dialog.getByLabel("URL").fill(`http://127.0.0.1:${mcp.port}/mcp-auth?tag=${tag}`);
      expect(await dialog.getByLabel("Header name").inputValue()).toBe("Authorization");
      expect(await dialog.getByLabel("Value").getAttribute("type")).toBe("password");
      await dialog.getByLabel("Value").fill(first);
      await dialog.getByRole("button", { name: "Add server" }).click();
      await dialog.waitFor({ state: "detached" });
      const row = page.getByRole("row").filter({ hasText: `mcp:${name}` });
      await row.waitFor();
      const set = await apiCall<Server>(app, "GET", `/mcp-servers/${name}`);
      expect(await row.textContent()).toContain(`Authorization · ${set.headers[0].fingerprint}`);
      expect(await page.content()).not.toContain(first.slice(7));

      // an edit never shows the value, and asks for it again rather than saving an empty one
      await row.getByRole("button", { name: `Edit ${name}` }).click();
      const edit = page.getByRole("dialog", { name: `Edit ${name}` });
      expect(await edit.getByLabel("Value").inputValue()).toBe("");
      await edit.getByRole("button", { name: "Save" }).click();
      await edit.getByText("Enter the value of Authorization").waitFor();
      await edit.getByLabel("Value").fill(second);
      await edit.getByRole("button", { name: "Save" }).click();
      await edit.waitFor({ state: "detached" });
      const rotated = await apiCall<Server>(app, "GET", `/mcp-servers/${name}`);
      expect(rotated.headers[0].fingerprint).not.toBe(set.headers[0].fingerprint);
      await row.getByText(rotated.headers[0].fingerprint).waitFor();

      // the agent form offers it by name
      const agent = `mcp-user-${uid()}`;
      await page.goto(`${app.url}/agents`);
      await page.getByRole("button", { name: "New agent" }).click();
      const form = page.getByRole("dialog", { name: "New agent" });
      await form.getByLabel("Name", { exact: true }).fill(agent);
      await form.getByRole("checkbox", { name: new RegExp(`mcp:${name}`) }).check();
      expect(await form.getByLabel("Tools (comma separated)").inputValue()).toBe(`mcp:${name}`);
      await form.getByRole("button", { name: "Create agent" }).click();
      await form.waitFor({ state: "detached" });
      expect((await apiCall<{ tools: string[] }>(app, "GET", `/agents/${agent}`)).tools).toEqual([`mcp:${name}`]);

      // a run sends the rotated credential to the server, and its trace holds none of it
      const task = await apiCall<{ id: string }>(app, "POST", "/tasks", { agent, title: `MCP ${uid()}`, description: "@tool whoami {}\n@output done" });
      await expect.poll(async () => (await apiCall<{ status: string }>(app, "GET", `/tasks/${task.id}`)).status, { timeout: 20_000 }).toBe("completed");
      const seen = (await (await fetch(`http://127.0.0.1:${mcp.port}/seen?tag=${tag}`)).json()) as { requests: { authorization: string | null }[] };
      expect(new Set(seen.requests.map((r) => r.authorization))).toEqual(new Set([second]));
      const trace = JSON.stringify(await apiCall(app, "GET", `/tasks/${task.id}/steps/main/runs/1/trace`));
      expect(trace).toContain("you are [masked]");
      expect(trace).not.toContain(second.slice(7));

      await page.goto(`${app.url}/settings?tab=mcp`);
      await row.getByRole("button", { name: `Delete ${name}` }).click();
      await page.getByRole("dialog", { name: `Delete ${name}?` }).getByRole("button", { name: "Delete" }).click();
      await row.waitFor({ state: "detached" });
      expect((await apiCall<{ items: Server[] }>(app, "GET", "/mcp-servers")).items.map((s) => s.name)).not.toContain(name);
    } finally {
      await mcp.close();
    }
  });

  it("checks its own fields: a blank name and a URL that is not one get the form's or the API's error, never the browser's bubble", async () => {
    const name = `checked-${uid()}`;
    await page.goto(`${app.url}/settings?tab=mcp`);
    await page.getByRole("button", { name: "Add MCP server" }).click();
    const dialog = page.getByRole("dialog", { name: "New MCP server" });
    const focused = (field: Locator) => field.evaluate((el) => el === document.activeElement);
    await dialog.getByRole("button", { name: "Add server" }).press("Enter");
    const nameField = dialog.getByLabel("Name", { exact: true });
    await expect.poll(() => nameField.getAttribute("aria-invalid")).toBe("true");
    await dialog.getByText("Name the server: agents use it as mcp:<name>.").waitFor();
    await expect.poll(() => focused(nameField)).toBe(true);

    await nameField.fill(name);
    const url = dialog.getByLabel("URL");
    await url.fill("mcp.example.com/mcp");
    await dialog.getByLabel("Value").fill("Bearer some-value");
    await dialog.getByRole("button", { name: "Add server" }).press("Enter");
    // the API's refusal names the URL: that field is marked and takes the focus
    await expect.poll(() => url.getAttribute("aria-invalid")).toBe("true");
    await expect.poll(() => focused(url)).toBe(true);
    expect(await nameField.getAttribute("aria-invalid")).toBeNull();
    await page.keyboard.press("Escape");
    expect((await apiCall<{ items: Server[] }>(app, "GET", "/mcp-servers")).items.map((s) => s.name)).not.toContain(name);
  });

  it("saves over no other admin's change, adds over no server of that name, and deletes none changed since the list was read", async () => {
    const name = `shared-${uid()}`;
    const put = (url: string) => apiCall<Server & { version: number }>(app, "PUT", `/mcp-servers/${name}`, { url, headers: { Authorization: `Bearer key-${uid()}${uid()}` } });
    await put("https://mcp.example.com/first");
    await page.goto(`${app.url}/settings?tab=mcp`);
    const row = page.getByRole("row").filter({ hasText: `mcp:${name}` });
    await row.getByRole("button", { name: `Edit ${name}` }).click();
    const edit = page.getByRole("dialog", { name: `Edit ${name}` });
    // another admin rotates the credential while this form is open
    expect((await put("https://mcp.example.com/theirs")).version).toBe(2);
    await edit.getByLabel("URL").fill("https://mcp.example.com/mine");
    await edit.getByLabel("Value").fill("Bearer mine-value");
    await edit.getByRole("button", { name: "Save" }).click();
    await edit.getByText(`Another admin saved ${name} since you opened it (it is now at version 2); nothing was saved.`).waitFor();
    expect(await edit.getByLabel("URL").inputValue()).toBe("https://mcp.example.com/mine");
    expect(await apiCall<{ url: string; version: number }>(app, "GET", `/mcp-servers/${name}`)).toMatchObject({ url: "https://mcp.example.com/theirs", version: 2 });
    await edit.getByRole("button", { name: "Cancel" }).click();

    await page.getByRole("button", { name: "Add MCP server" }).click();
    const add = page.getByRole("dialog", { name: "New MCP server" });
    await add.getByLabel("Name", { exact: true }).fill(name);
    await add.getByLabel("URL").fill("https://mcp.example.com/other");
    await add.getByLabel("Value").fill("Bearer other-value");
    await add.getByRole("button", { name: "Add server" }).click();
    await add.getByText(`An MCP server named ${name} exists already; nothing was saved.`).waitFor();
    expect((await apiCall<{ url: string }>(app, "GET", `/mcp-servers/${name}`)).url).toBe("https://mcp.example.com/theirs");
    await add.getByRole("button", { name: "Cancel" }).click();

    // the list shows version 2; another admin saves version 3, then this one deletes what the list showed
    await row.getByText("https://mcp.example.com/theirs").waitFor();
    await put("https://mcp.example.com/third");
    await row.getByRole("button", { name: `Delete ${name}` }).click();
    await page.getByRole("dialog", { name: `Delete ${name}?` }).getByRole("button", { name: "Delete" }).click();
    await page.getByText(`Another admin changed ${name} since the list was read (it is now at version 3); nothing was deleted.`).waitFor();
    await row.getByText("https://mcp.example.com/third").waitFor();
    expect((await apiCall<{ version: number }>(app, "GET", `/mcp-servers/${name}`)).version).toBe(3);
  });
});
