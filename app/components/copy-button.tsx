import { useState } from "react";
import { useHydrated } from "~/hooks/use-hydrated";

/** Copies text to the clipboard; rendered only once JS runs (without it there is nothing it could do). */
export function CopyButton({ text, label, done }: { text: string; label: string; done: string }) {
  const hydrated = useHydrated();
  const [copied, setCopied] = useState(false);
  if (!hydrated) return null;
  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      setTimeout(() => setCopied(false), 2_000);
    } catch (err) {
      // Clipboard refused (permissions): the link beside the button still works.
      console.info("clipboard write refused", err);
    }
  }
  return (
    <button
      type="button"
      onClick={copy}
      className="rounded-md border border-slate-300 px-2 py-0.5 text-xs font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800"
      data-testid="copy-link"
    >
      <span aria-live="polite">{copied ? done : label}</span>
    </button>
  );
}
