/** Scripts written without spaces between words (hiragana, katakana, Han): one FTS5 token per run of text. */
const UNSPACED = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2ffff}]/u;
const EVERY_UNSPACED = new RegExp(UNSPACED.source, "gu");

export const hasUnspaced = (s: string) => UNSPACED.test(s);

/**
 * Text as the search index reads it when it holds such a script: each of those characters set apart, a
 * term of its own, so a word inside a sentence is found (市場 in 東京の市場調査); null when the text is
 * indexed as it is. migrations/0017 does the same in SQL, over the same ranges.
 */
export const searchText = (s: string): string | null => (hasUnspaced(s) ? s.replace(EVERY_UNSPACED, " $& ") : null);
