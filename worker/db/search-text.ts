/** Scripts written without spaces between words (hiragana, katakana, Han): one FTS5 token per run of text. */
const UNSPACED = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2ffff}]/u;
const EVERY_UNSPACED = new RegExp(UNSPACED.source, "gu");

export const hasUnspaced = (s: string) => UNSPACED.test(s);

/**
 * Text as the search index reads it, or null when that is the text itself: in NFKC, as a query is read
 * (fullwidth ＡＢＣ is ABC, halfwidth ｲﾝﾎﾞｲｽ is インボイス, ﬁ is fi), and with each character of an unspaced
 * script set apart, a term of its own, so a word inside a sentence is found (市場 in 東京の市場調査).
 * Rows written before migrations/0017 get it from worker/db/search-reindex.ts (migration 0025 queues them).
 */
export function searchText(s: string): string | null {
  const n = s.normalize("NFKC");
  const text = hasUnspaced(n) ? n.replace(EVERY_UNSPACED, " $& ") : n;
  return text === s ? null : text;
}
