/**
 * A number field's `onInput`: hands on its text while the browser reads it as a number. Text it cannot read yet
 * ("1e", "-") has the value "", which, written back into the field, would wipe what is being typed ("1e5" ending
 * as "5"); the form's submit refuses such text instead (`createSubmit().unreadable`).
 */
export const numberInput =
  (set: (value: string) => void) =>
  (e: { currentTarget: HTMLInputElement }): void => {
    if (!e.currentTarget.validity.badInput) set(e.currentTarget.value);
  };
