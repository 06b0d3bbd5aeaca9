const hex = (buf: ArrayBuffer) => [...new Uint8Array(buf)].map((b) => b.toString(16).padStart(2, "0")).join("");

export async function sha256Hex(text: string): Promise<string> {
  return hex(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** A bearer secret: `fd_` + 40 chars of base36 (≈ 206 bits). */
export function newSecret(prefix = "fd"): string {
  const bytes = crypto.getRandomValues(new Uint8Array(40));
  return `${prefix}_${[...bytes].map((b) => (b % 36).toString(36)).join("")}`;
}
