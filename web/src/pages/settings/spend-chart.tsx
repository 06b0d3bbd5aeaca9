import { createSignal, For, onCleanup, onMount, Show } from "solid-js";
import { clipEnd, fmtCost } from "../../lib/format";

export interface Bar {
  key: string;
  cost: number;
}

/** the width drawn at before the chart is measured */
const W = 640;
const H = 180;
/** the room one label of the x axis needs, in pixels */
const LABEL_W = 64;
/** Characters a bar's label keeps: a day (`2026-12-07`) fits whole; a longer name is cut, whole in the bar's tooltip. */
const LABEL_CHARS = 10;
const PAD = { top: 12, right: 8, bottom: 22, left: 56 };

/**
 * Bars of spend per key, drawn as SVG (no chart library); a monthly cap shows as a line when it fits the scale.
 * Drawn at the width it is shown at, so its labels keep their size on a phone rather than shrink with the whole.
 */
export function SpendChart(props: { bars: Bar[]; label: string; cap?: number | null }) {
  let svg!: SVGSVGElement;
  const [w, setW] = createSignal(W);
  onMount(() => {
    const ro = new ResizeObserver(() => setW(Math.max(200, Math.round(svg.clientWidth || W))));
    ro.observe(svg);
    onCleanup(() => ro.disconnect());
  });
  const max = () => Math.max(...props.bars.map((b) => b.cost), 0) || 1;
  const plotW = () => w() - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const slot = () => plotW() / Math.max(props.bars.length, 1);
  const y = (v: number) => PAD.top + plotH - (v / max()) * plotH;
  const every = () => Math.max(1, Math.ceil(props.bars.length / Math.max(1, Math.floor(plotW() / LABEL_W))));
  return (
    <svg ref={svg} class="spend-chart" viewBox={`0 0 ${w()} ${H}`} role="img" aria-label={props.label}>
      <For each={[0, 0.5, 1]}>
        {(f) => (
          <g>
            <line x1={PAD.left} x2={w() - PAD.right} y1={y(max() * f)} y2={y(max() * f)} stroke="var(--border)" />
            <text x={PAD.left - 6} y={y(max() * f) + 4} text-anchor="end" font-size="10" fill="currentColor" opacity="0.6">
              {fmtCost(max() * f)}
            </text>
          </g>
        )}
      </For>
      <For each={props.bars}>
        {(b, i) => (
          <g>
            <rect
              x={PAD.left + i() * slot() + slot() * 0.15}
              y={y(b.cost)}
              width={Math.max(slot() * 0.7, 1)}
              height={Math.max(PAD.top + plotH - y(b.cost), b.cost > 0 ? 1 : 0)}
              rx="2"
              fill="var(--accent)"
              data-key={b.key}
            >
              <title>{`${b.key}: ${fmtCost(b.cost)}`}</title>
            </rect>
            <Show when={i() % every() === 0}>
              <text x={PAD.left + i() * slot() + slot() / 2} y={H - 6} text-anchor="middle" font-size="10" fill="currentColor" opacity="0.6">
                {clipEnd(b.key, LABEL_CHARS)}
              </text>
            </Show>
          </g>
        )}
      </For>
      <Show when={props.cap != null && props.cap <= max()}>
        <line x1={PAD.left} x2={w() - PAD.right} y1={y(props.cap!)} y2={y(props.cap!)} stroke="var(--danger)" stroke-dasharray="4 3">
          <title>{`Monthly cap ${fmtCost(props.cap!)}`}</title>
        </line>
      </Show>
    </svg>
  );
}
