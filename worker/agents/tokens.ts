const encoder = new TextEncoder();

export const utf8Bytes = (s: string): number => encoder.encode(s).byteLength;

/** The token estimate used by the sim model and by budget checks: one token per 4 UTF-8 bytes, rounded up. */
export const tokensOfBytes = (bytes: number): number => Math.ceil(bytes / 4);

export const tokensOf = (s: string): number => tokensOfBytes(utf8Bytes(s));
