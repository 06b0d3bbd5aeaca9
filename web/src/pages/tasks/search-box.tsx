import { createSignal, onCleanup } from "solid-js";
import { Icon } from "../../components/icons";

/**
 * Debounced search input; Enter searches at once, Escape clears. A lone letter waits for a second one (or Enter):
 * as a prefix it matches nearly every task, which is slow on a large index and useless to read.
 */
export function SearchBox(props: { value: string; onSearch: (v: string) => void; label: string; placeholder?: string }) {
  const [v, setV] = createSignal(props.value);
  let t: ReturnType<typeof setTimeout> | undefined;
  onCleanup(() => clearTimeout(t));
  const fire = (now = false) => {
    clearTimeout(t);
    if (now) props.onSearch(v().trim());
    else if ([...v().trim()].length !== 1) t = setTimeout(() => props.onSearch(v().trim()), 250);
  };
  return (
    <form
      role="search"
      class="search-box"
      onSubmit={(e) => {
        e.preventDefault();
        fire(true);
      }}
    >
      <Icon name="search" />
      <input
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
