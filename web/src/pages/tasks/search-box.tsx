import { createEffect, createSignal, on, onCleanup } from "solid-js";
import { Icon } from "../../components/icons";

/**
 * Debounced search input; Enter searches at once, Escape clears. A lone letter waits for a second one (or Enter):
 * as a prefix it matches nearly every task, which is slow on a large index and useless to read.
 */
export function SearchBox(props: { value: string; onSearch: (v: string) => void; label: string; placeholder?: string; inputRef?: (el: HTMLInputElement) => void }) {
  const [v, setV] = createSignal(props.value);
  let t: ReturnType<typeof setTimeout> | undefined;
  let sent = props.value;
  onCleanup(() => clearTimeout(t));
  const send = () => props.onSearch((sent = v().trim()));
  const fire = (now = false) => {
    clearTimeout(t);
    if (now) send();
    else if ([...v().trim()].length !== 1) t = setTimeout(send, 250);
  };
  // The search can change without us (Clear filters, a link to the unfiltered page, Back): show it.
  // Only a value we did not send counts, so text typed since the last search is never overwritten.
  createEffect(
    on(
      () => props.value,
      (value) => {
        if (value === sent) return;
        clearTimeout(t);
        sent = value;
        setV(value);
      },
      { defer: true },
    ),
  );
  return (
    <form
      role="search"
      class="search-box"
      onSubmit={(e) => {
        e.preventDefault();
        fire(true);
      }}
      novalidate
    >
      <Icon name="search" />
      <input
        ref={(el) => props.inputRef?.(el)}
        type="search"
        aria-label={props.label}
        placeholder={props.placeholder ?? "Search by name…"}
        value={v()}
        onInput={(e) => {
          setV(e.currentTarget.value);
          fire();
        }}
        onKeyDown={(e) => {
          if (e.key === "Escape" && v()) {
            e.preventDefault();
            setV("");
            fire(true);
          }
        }}
      />
    </form>
  );
}
