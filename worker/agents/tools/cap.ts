/** Tool results are kept whole up to this many UTF-8 bytes, then cut and marked. */
export const MAX_TOOL_RESULT_BYTES = 256 * 1024;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function capResult(text: string, maxBytes = MAX_TOOL_RESULT_BYTES): { result: string; truncated?: true } {
  const bytes = encoder.encode(text);
  if (bytes.byteLength <= maxBytes) return { result: text };
  let cut = maxBytes;
  // back up to the start of a UTF-8 character so the cut never splits one
  while (cut > 0 && (bytes[cut] & 0xc0) === 0x80) cut--;
  const kept = decoder.decode(bytes.subarray(0, cut));
  return { result: `${kept}\n[truncated: kept the first ${cut} of ${bytes.byteLength} bytes]`, truncated: true };
}
