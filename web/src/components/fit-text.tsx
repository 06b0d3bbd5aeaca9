import { createEffect } from "solid-js";

/**
 * SVG text cut with "…" to fit `width`, measured in the browser: SVG has no text-overflow, and a
 * character count cannot know how wide "WWW" is next to "iii". The full text belongs in a <title>.
 */
export function FitText(props: { text: string; width: number; x: number; y: number; class: string }) {
  let el!: SVGTextElement;
  createEffect(() => {
    const full = props.text;
    el.textContent = full;
    if (el.getComputedTextLength() <= props.width) return;
    let fits = 0;
    let over = full.length;
    while (over - fits > 1) {
      const mid = (fits + over) >> 1;
      el.textContent = `${full.slice(0, mid).trimEnd()}…`;
      if (el.getComputedTextLength() <= props.width) fits = mid;
      else over = mid;
    }
    el.textContent = `${full.slice(0, fits).trimEnd()}…`;
  });
  return <text ref={el} x={props.x} y={props.y} class={props.class} />;
}
