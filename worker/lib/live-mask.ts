import { type Masker, MIN_LITERAL } from "./mask";

/** Text already sent that the next piece is masked with, for patterns that look behind (`Bearer …`). */
const CONTEXT = 256;
/** Past this much held text a piece is sent anyway: a stream must not stall on one endless word. */
const MAX_HELD = 64 * 1024;
const PEM_BEGIN = "-----BEGIN";
const PEM_END = /-----END [^\n]*-----/;

function spans(text: string, patterns: readonly (string | RegExp)[]): [number, number][] {
  const out: [number, number][] = [];
  for (const p of patterns) {
    if (typeof p === "string") {
      if (p.length < MIN_LITERAL) continue;
      for (let i = text.indexOf(p); i >= 0; i = text.indexOf(p, i + 1)) out.push([i, i + p.length]);
    } else {
      for (const m of text.matchAll(p.global ? p : new RegExp(p.source, `${p.flags}g`))) out.push([m.index, m.index + m[0].length]);
    }
  }
  return out;
}

const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);

/** Where the held text may be cut: before its last two words, the one still coming and the one that may name it ("Bearer", "password:"). */
function wordCut(held: string): number {
  let i = held.length;
  while (i > 0 && !isSpace(held[i - 1])) i--;
  while (i > 0 && isSpace(held[i - 1])) i--;
  while (i > 0 && !isSpace(held[i - 1])) i--;
  return i;
}

/**
 * Masks a model's streamed text as the whole text would be masked, piece by piece: a secret split across two pieces
 * (a key streamed a few characters at a time, `Bearer` in one and the token in the next) is masked all the same.
 * Text is held back until no secret can run on past it: the last two words, a PEM block until it ends, and never a
 * cut through what a pattern matches. A pattern whose matches span more than two words can still be cut.
 */
export class LiveMask {
  private sent = "";
  private held = "";

  constructor(private readonly mask: Masker) {}

  /** The masked text that may be sent now, possibly empty. */
  push(delta: string): string {
    this.held += delta;
    let cut = wordCut(this.held);
    const pem = this.held.lastIndexOf(PEM_BEGIN);
    if (pem >= 0 && !PEM_END.test(this.held.slice(pem))) cut = Math.min(cut, pem);
    if (this.held.length > MAX_HELD) cut = Math.max(cut, this.held.length - CONTEXT);
    const text = this.sent + this.held;
    const at = this.sent.length;
    const found = spans(text, this.mask.patterns ?? []);
    for (let moved = true; moved && cut > 0; ) {
      moved = false;
      for (const [s, e] of found) {
        if (s < at + cut && at + cut < e) {
          cut = Math.max(0, s - at);
          moved = true;
        }
      }
    }
    return cut > 0 ? this.send(cut) : "";
  }

  /** The rest, masked: the stream ended (or was cut off). */
  end(): string {
    const out = this.held ? this.send(this.held.length) : "";
    this.reset();
    return out;
  }

  reset(): void {
    this.sent = "";
    this.held = "";
  }

  private send(cut: number): string {
    const piece = this.held.slice(0, cut);
    const before = this.mask(this.sent);
    const after = this.mask(this.sent + piece);
    this.sent = (this.sent + piece).slice(-CONTEXT);
    this.held = this.held.slice(cut);
    return after.startsWith(before) ? after.slice(before.length) : this.mask(piece);
  }
}
