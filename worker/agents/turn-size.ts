import type { ModelResponse, ToolCall } from "./types";

/**
 * The most of a model's answer a turn keeps, as the UTF-8 bytes of its stored JSON (text, tool calls, searches). A
 * turn is one row of the task's SQLite, which refuses a value past 2 MB, and the first turn also holds the instructions
 * it sent (1 MB at most); a step's output may hold no more either. An answer is read whole all the same (up to
 * MAX_ANSWER_BYTES), as the provider's count of its tokens comes at its end.
 */
export const MAX_TURN_BYTES = 1_000_000;

type Answer = Pick<ModelResponse, "content" | "tool_calls" | "searches" | "provider_content">;

/**
 * An answer too large to keep, cut to fit: its text and each call's arguments to their first bytes (a call's, no
 * longer a JSON object, kept as `invalid_arguments`: it is not run), the provider's own blocks dropped (a turn this
 * large is never sent back). `oversize` says how large it was; null when it fits as it is.
 */
export function boundAnswer<A extends Answer>(answer: A): { answer: A; oversize: string } | null {
  const bytes = storedBytes(answer);
  if (bytes <= MAX_TURN_BYTES) return null;
  const oversize = `${(bytes / 1e6).toFixed(1)} MB, past the ${MAX_TURN_BYTES / 1e6} MB a model turn may hold`;
  const texts = [answer.content, ...answer.tool_calls.map((c) => c.invalid_arguments ?? JSON.stringify(c.arguments))];
  const cutTo = (shares: number[]) => {
    const [content, ...args] = texts.map((t, i) => utf8Prefix(t, shares[i]));
    const tool_calls: ToolCall[] = answer.tool_calls.map((c, i) =>
      args[i] === texts[i + 1] && c.invalid_arguments === undefined ? c : { id: c.id, name: c.name, arguments: {}, invalid_arguments: args[i] },
    );
    const { provider_content, ...rest } = answer;
    return { ...rest, content, tool_calls } as A;
  };
  const bare = cutTo(texts.map(() => 0));
  // what the ids, names and searches take; a turn whose calls alone pass the bound keeps as many as fit
  let room = MAX_TURN_BYTES - storedBytes(bare);
  if (room < 0) return { answer: { ...bare, tool_calls: fitting(bare), searches: [] }, oversize };
  // escapes make the stored JSON longer than the text: cut again, by what it passed, until it fits
  for (;;) {
    const cut = cutTo(shares(texts.map(utf8Bytes), room));
    const over = storedBytes(cut) - MAX_TURN_BYTES;
    if (over <= 0) return { answer: cut, oversize };
    room -= Math.max(over, 1024);
    if (room <= 0) return { answer: bare, oversize };
  }
}

/** The calls whose ids and names fit the bound, in order. */
function fitting(bare: Answer): ToolCall[] {
  let left = MAX_TURN_BYTES - storedBytes({ ...bare, tool_calls: [], searches: [] });
  const kept: ToolCall[] = [];
  for (const c of bare.tool_calls) {
    left -= utf8Bytes(JSON.stringify(c)) + 1;
    if (left < 0) break;
    kept.push(c);
  }
  return kept;
}

/** `room` shared out fairly: a text needing less than its share leaves the rest to the others. */
function shares(sizes: number[], room: number): number[] {
  const out = sizes.map(() => 0);
  let left = room;
  const order = sizes.map((s, i) => [s, i]).sort((a, b) => a[0] - b[0]);
  order.forEach(([size, i], n) => {
    out[i] = Math.min(size, Math.floor(left / (order.length - n)));
    left -= out[i];
  });
  return out;
}

const storedBytes = (a: Answer): number =>
  utf8Bytes(JSON.stringify({ content: a.content, tool_calls: a.tool_calls, searches: a.searches, provider_content: a.provider_content }));

/** UTF-8 bytes of `s`, without encoding it (an answer may be many MB). */
export function utf8Bytes(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      n += 2;
      i++;
    } else if (c >= 0x800) n += 2;
    else if (c >= 0x80) n += 1;
  }
  return n;
}

/** The longest prefix of `s` within `bytes` bytes of UTF-8, never splitting a character. */
function utf8Prefix(s: string, bytes: number): string {
  if (s.length * 3 <= bytes) return s;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const pair = c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00;
    const size = pair ? 4 : c >= 0x800 ? 3 : c >= 0x80 ? 2 : 1;
    if (n + size > bytes) return s.slice(0, i);
    n += size;
    if (pair) i++;
  }
  return s;
}
