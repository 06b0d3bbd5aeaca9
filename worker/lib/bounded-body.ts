/** The body, failing with `tooLarge()` once more than `maxBytes` have come, the rest left unread. */
export function bounded(body: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => Error): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let size = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await reader.read();
      if (done) return controller.close();
      size += value.byteLength;
      if (size <= maxBytes) return controller.enqueue(value);
      await reader.cancel();
      controller.error(tooLarge());
    },
    cancel: (reason) => reader.cancel(reason),
  });
}

/** A response's whole body as text, read only up to `maxBytes`: past them `tooLarge()` is thrown. */
export async function boundedText(res: Response, maxBytes: number, tooLarge: () => Error): Promise<string> {
  return res.body ? new Response(bounded(res.body, maxBytes, tooLarge)).text() : "";
}

/** Up to the first `maxBytes` of a response's body as text; the rest is left unread. */
export async function bodyPrefix(res: Response, maxBytes: number): Promise<string> {
  if (!res.body) return "";
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      const room = maxBytes - size;
      if (value.byteLength >= room) return text + decoder.decode(value.subarray(0, room));
      size += value.byteLength;
      text += decoder.decode(value, { stream: true });
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
