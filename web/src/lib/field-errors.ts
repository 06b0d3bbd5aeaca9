import { createSignal, createUniqueId } from "solid-js";
import { ApiError } from "../client";
import { invalidField } from "./invalid-field";

/**
 * A form's error tied to the field it is about: that field is `aria-invalid` and described by the error's text
 * (the element with `errorId`), and takes the focus when the error is set, so a person (and a screen reader)
 * lands on what to fix. Fields are named as the API names them, so its refusal of one marks it too.
 */
export function createFieldErrors() {
  const errorId = `form-error-${createUniqueId()}`;
  const [field, setField] = createSignal<string | null>(null);
  const elements = new Map<string, { focus: () => void; validity?: ValidityState }>();
  const mark = (name: string | null) => {
    setField(name);
    // once the error's text is on the page, so the field is read with it
    if (name) queueMicrotask(() => elements.get(name)?.focus());
  };
  return {
    errorId,
    field,
    mark,
    /**
     * Marks the first number field whose text the browser cannot read ("1,000", "2e"), and says so; true if one was.
     * Its value reads "" as an empty field's does, which the forms take as "no limit" or 0: a check first, so a typo is never saved as that.
     */
    markUnreadable: (setError: (text: string, field: string) => void): boolean => {
      const bad = [...elements].find(([, el]) => el.validity?.badInput)?.[0];
      if (bad) setError(NOT_A_NUMBER, bad);
      return bad !== undefined;
    },
    /** Marks the field an API error names, if it is one of this form's: a refused value's (400, 422), never a conflict's details. */
    markFrom: (e: unknown) => mark(e instanceof ApiError && (e.status === 400 || e.status === 422) ? invalidField(e.details, elements.keys()) : null),
    /** Spread on the field's input: `<input {...fields.of("title")} />`; `help`, the id of its own description, stays on it. */
    of: (name: string, help?: string) => ({
      ref: (el: { focus: () => void; validity?: ValidityState }) => void elements.set(name, el),
      get "aria-invalid"() {
        return field() === name ? ("true" as const) : undefined;
      },
      get "aria-describedby"() {
        return [field() === name ? errorId : "", help ?? ""].filter(Boolean).join(" ") || undefined;
      },
    }),
  };
}

export const NOT_A_NUMBER = "That is not a number: use digits, with a point for decimals and no thousands separator.";

export type FieldErrors = ReturnType<typeof createFieldErrors>;
export type FieldProps = ReturnType<FieldErrors["of"]>;
