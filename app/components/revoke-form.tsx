import { Form } from "@remix-run/react";

/** A plain POST form with one red button that revokes something (a link, an API key): works without JS. */
export function RevokeForm({ field, id, intent, label, disabled = false }: { field: string; id: string; intent: string; label: string; disabled?: boolean }) {
  return (
    <Form method="post">
      <input type="hidden" name={field} value={id} />
      <button
        type="submit"
        name="intent"
        value={intent}
        disabled={disabled}
        className="rounded-md border border-red-300 px-3 py-1.5 text-sm font-medium text-red-700 hover:bg-red-50 disabled:opacity-60 dark:border-red-800 dark:text-red-300 dark:hover:bg-red-950"
      >
        {label}
      </button>
    </Form>
  );
}
