import type { JSX } from "solid-js";

const paths = {
  board: "M3 4h5v16H3zM10 4h5v10h-5zM17 4h4v7h-4z",
  table: "M3 5h18M3 10h18M3 15h18M3 20h18",
  plans: "M6 3v6m0 6v6M6 9a3 3 0 100 6 3 3 0 000-6zm12-6v4m0 0a3 3 0 100 6 3 3 0 000-6zm0 6v8M9 12h6",
  agents: "M12 3a4 4 0 110 8 4 4 0 010-8zM4 21a8 8 0 0116 0",
  settings: "M12 8a4 4 0 110 8 4 4 0 010-8zM3 12h2m14 0h2M12 3v2m0 14v2M5.6 5.6l1.4 1.4m10 10l1.4 1.4m0-12.8l-1.4 1.4m-10 10l-1.4 1.4",
  sun: "M12 7a5 5 0 110 10 5 5 0 010-10zM12 1v2m0 18v2M4.2 4.2l1.4 1.4m12.8 12.8l1.4 1.4M1 12h2m18 0h2M4.2 19.8l1.4-1.4M18.4 5.6l1.4-1.4",
  moon: "M21 12.8A9 9 0 1111.2 3a7 7 0 009.8 9.8z",
  search: "M11 4a7 7 0 110 14 7 7 0 010-14zm10 17l-5-5",
  plus: "M12 5v14M5 12h14",
  chevron: "M9 6l6 6-6 6",
  close: "M6 6l12 12M18 6L6 18",
  out: "M15 4h4v16h-4M10 8l-4 4 4 4M6 12h10",
  search2: "M11 4a7 7 0 110 14 7 7 0 010-14zm10 17l-5-5",
  coin: "M12 3a9 9 0 110 18 9 9 0 010-18zm0 5v8m-2.5-6.5h4a1.5 1.5 0 010 3h-3a1.5 1.5 0 000 3h4",
  token: "M4 6h16M4 12h10M4 18h13",
  steps: "M5 5h4v4H5zM15 5h4v4h-4zM10 15h4v4h-4zM7 9v3h10V9M12 12v3",
  filter: "M3 5h18l-7 8v6l-4-2v-4z",
} as const;

export type IconName = keyof typeof paths;

export function Icon(props: { name: IconName; class?: string; title?: string }): JSX.Element {
  return (
    <svg class={"icon " + (props.class ?? "")} viewBox="0 0 24 24" aria-hidden={props.title ? undefined : "true"} role={props.title ? "img" : undefined}>
      {props.title ? <title>{props.title}</title> : null}
      <path d={paths[props.name]} />
    </svg>
  );
}
