/**
 * What was typed to the planner and not sent yet, per conversation ("new" before there is one), kept in
 * this tab's session storage so it outlives leaving the page, Back and a reload, and another tab keeps its own.
 */
const key = (id: string | undefined) => `flightdeck.chat.unsent.${id ?? "new"}`;

export const unsent = {
  read(id: string | undefined): string {
    try {
      return sessionStorage.getItem(key(id)) ?? "";
    } catch {
      return "";
    }
  },
  write(id: string | undefined, text: string): void {
    try {
      if (text.trim()) sessionStorage.setItem(key(id), text);
      else sessionStorage.removeItem(key(id));
    } catch {
      /* storage full or off: the box still holds it */
    }
  },
};
