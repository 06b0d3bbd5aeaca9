import { createEffect, createMemo, For, on, Show } from "solid-js";

export interface EditorIssue {
  line: number;
  path: string;
  message: string;
}

/** A textarea with a line gutter; issues are marked on their line and listed, each jumping to its line. */
export function JsonEditor(props: { value: string; onInput: (v: string) => void; issues: EditorIssue[]; label: string; readOnly?: boolean }) {
  let area!: HTMLTextAreaElement;
  let gutter!: HTMLDivElement;
  const count = createMemo(() => props.value.split("\n").length);
  const byLine = createMemo(() => {
    const m = new Map<number, EditorIssue[]>();
    for (const i of props.issues) m.set(i.line, [...(m.get(i.line) ?? []), i]);
    return m;
  });

  const jump = (line: number) => {
    const lines = props.value.split("\n");
    const start = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
    area.focus();
    area.setSelectionRange(start, start + (lines[line - 1]?.length ?? 0));
    const lh = parseFloat(getComputedStyle(area).lineHeight) || 20;
    area.scrollTop = Math.max(0, (line - 4) * lh);
  };

  // a save's issues bring the person to the first of them, as any form's invalid field does
  createEffect(on(() => props.issues, (issues) => issues.length > 0 && jump(issues[0].line), { defer: true }));

  return (
    <div class="json-editor">
      <div class={`editor ${props.issues.length ? "has-issues" : ""}`}>
        <div class="gutter" ref={gutter} aria-hidden="true">
          <For each={Array.from({ length: count() }, (_, i) => i + 1)}>
            {(n) => (
              <div class={byLine().has(n) ? "gl is-error" : "gl"} title={byLine().get(n)?.map((i) => i.message).join("\n")}>
                {n}
              </div>
            )}
          </For>
        </div>
        <textarea
          ref={area}
          class="code-input"
          spellcheck={false}
          aria-label={props.label}
          aria-invalid={props.issues.length > 0}
          aria-describedby={props.issues.length ? "json-issues" : undefined}
          readOnly={props.readOnly}
          value={props.value}
          onInput={(e) => props.onInput(e.currentTarget.value)}
          onScroll={() => (gutter.scrollTop = area.scrollTop)}
        />
      </div>
      <Show when={props.issues.length}>
        <ul class="issues" id="json-issues" aria-label="Validation errors">
          <For each={props.issues}>
            {(i) => (
              <li>
                <button type="button" class="issue" onClick={() => jump(i.line)}>
                  <span class="issue-line">line {i.line}</span>
                  <code>{i.path || "(plan)"}</code>
                  <span>{i.message}</span>
                </button>
              </li>
            )}
          </For>
        </ul>
      </Show>
    </div>
  );
}
