/** Scripts written without spaces between words (hiragana, katakana, Han): one FTS5 token per run of text. */
const UNSPACED = /[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{2ffff}]/u;
const EVERY_UNSPACED = new RegExp(UNSPACED.source, "gu");

export const hasUnspaced = (s: string) => UNSPACED.test(s);

/** Accents on Latin, Greek and Cyrillic letters: FTS5's own folding takes them off Latin letters only. */
const ACCENTED = /([\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}])\p{Mn}+/gu;
/** Letters no decomposition takes apart, written as a person without them on their keyboard would. */
const PLAIN: Record<string, string> = { ß: "ss", ẞ: "SS", ø: "o", Ø: "O", ł: "l", Ł: "L", đ: "d", Đ: "D", æ: "ae", Æ: "AE", œ: "oe", Œ: "OE" };
const UNSPLIT = new RegExp(`[${Object.keys(PLAIN).join("")}]`, "g");

/**
 * `s` (in NFKC) with its Latin, Greek and Cyrillic letters' accents off and ß, ø, ł, đ, æ, œ written plain, as both the
 * index and a query read it: αθηνα finds Αθήνα, елка Ёлка, strasse Straße, lodz Łódź. Other scripts' marks are kept
 * (Japanese が is not か, Hindi's vowel signs are the word).
 */
export const foldText = (s: string): string => s.normalize("NFD").replace(ACCENTED, "$1").normalize("NFC").replace(UNSPLIT, (c) => PLAIN[c]);

/**
 * Text as the search index reads it, or null when that is the text itself: in NFKC, as a query is read
 * (fullwidth ＡＢＣ is ABC, halfwidth ｲﾝﾎﾞｲｽ is インボイス, ﬁ is fi), folded (`foldText`), and with each character of an
 * unspaced script set apart, a term of its own, so a word inside a sentence is found (市場 in 東京の市場調査).
 * Rows written before migrations/0017 get it from worker/db/search-reindex.ts (migration 0025 queues them), and
 * rows written before the folding from the same place (migration 0042 queues them).
 */
export function searchText(s: string): string | null {
  const n = foldText(s.normalize("NFKC"));
  const text = hasUnspaced(n) ? n.replace(EVERY_UNSPACED, " $& ") : n;
  return text === s ? null : text;
}
