import { createEffect, For, type JSX } from "solid-js";

/** A list filter's select: "All" (no filter, the empty value) first, then one option per value. */
export function FilterSelect(props: {
  label: string;
  value: string | undefined;
  onChange: (value: string) => void;
  options: readonly (string | { value: string; label: string })[];
  /** the no-filter option's text */
  all?: string;
  /** label and select on one line, as in the task table's filter bar */
  inline?: boolean;
  children?: JSX.Element;
}) {
  const option = (o: string | { value: string; label: string }) => (typeof o === "string" ? { value: o, label: o } : o);
  let select!: HTMLSelectElement;
  // Options that arrive after the value (a list still loading, e.g. the address's ?agent=) would leave "All" shown: the value is set again.
  createEffect(() => {
    void props.options.length;
    select.value = props.value ?? "";
  });
  return (
    <label class={props.inline ? "field field-inline" : "field"}>
      <span>{props.label}</span>
      <select ref={select} aria-label={props.inline ? props.label : undefined} value={props.value ?? ""} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">{props.all ?? "All"}</option>
        <For each={props.options.map(option)}>{(o) => <option value={o.value}>{o.label}</option>}</For>
        {props.children}
      </select>
    </label>
  );
}
