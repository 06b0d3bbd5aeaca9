export function Pager(props: { page: number; hasPrev: boolean; hasNext: boolean; onPrev: () => void; onNext: () => void; label: string }) {
  return (
    <nav class="pager" aria-label={props.label}>
      <button class="btn btn-ghost btn-sm" type="button" disabled={!props.hasPrev} onClick={() => props.onPrev()} aria-label={`Previous page, ${props.label}`}>
        ‹ Previous
      </button>
      <span class="pager-page">Page {props.page}</span>
      <button class="btn btn-ghost btn-sm" type="button" disabled={!props.hasNext} onClick={() => props.onNext()} aria-label={`Next page, ${props.label}`}>
        Next ›
      </button>
    </nav>
  );
}
