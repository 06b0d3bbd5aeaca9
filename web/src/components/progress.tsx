export function Progress(props: { done: number; total: number; status?: string }) {
  const pct = () => (props.total > 0 ? Math.min(100, Math.round((props.done / props.total) * 100)) : 0);
  return (
    <div class="progress" role="progressbar" aria-valuemin={0} aria-valuemax={props.total} aria-valuenow={props.done} aria-label={`${props.done} of ${props.total} steps`}>
      <div class={`progress-fill status-${props.status ?? "in_progress"}`} style={{ width: `${pct()}%` }} />
    </div>
  );
}
