import { getFormProps, getInputProps, useForm, type SubmissionResult } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { Form, useNavigation } from "@remix-run/react";
import { useHydrated } from "~/hooks/use-hydrated";
import { useI18n } from "~/hooks/use-i18n";
import { AnalyzeFormSchema, MAX_URL_LENGTH } from "~/lib/media-url";

/** The URL box on the home page: a plain POST form, validated on both sides, with a paste button once JS runs. */
export function AnalyzeForm({ lastResult, defaultUrl }: { lastResult?: SubmissionResult<string[]>; defaultUrl?: string }) {
  const navigation = useNavigation();
  const hydrated = useHydrated();
  const { t } = useI18n();
  const [form, fields] = useForm({
    id: "analyze",
    lastResult,
    defaultValue: { url: defaultUrl ?? "" },
    constraint: getZodConstraint(AnalyzeFormSchema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema: AnalyzeFormSchema }),
  });
  const busy = navigation.state !== "idle" && navigation.formMethod === "POST" && navigation.formAction?.startsWith("/?index");
  const errors = [...(form.errors ?? []), ...(fields.url.errors ?? [])].map((e) => t(e, { max: MAX_URL_LENGTH }));

  async function paste() {
    try {
      const text = (await navigator.clipboard.readText()).trim();
      const input = document.getElementById(fields.url.id) as HTMLInputElement | null;
      if (input && text) {
        input.value = text;
        input.dispatchEvent(new Event("input", { bubbles: true }));
        input.focus();
      }
    } catch (err) {
      // The browser refused clipboard access; typing or Ctrl+V still works.
      console.info("clipboard read refused", err);
    }
  }

  return (
    <Form method="post" action="/?index" {...getFormProps(form)} className="space-y-2" data-testid="analyze-form">
      <label htmlFor={fields.url.id} className="block text-sm font-medium">
        {t("analyze.label")}
      </label>
      <div className="flex flex-col gap-2 sm:flex-row">
        <div className="relative flex-1">
          <input
            {...getInputProps(fields.url, { type: "url" })}
            placeholder="https://…"
            autoComplete="off"
            inputMode="url"
            className="block w-full rounded-lg border border-slate-300 bg-white px-3 py-3 pr-20 text-base shadow-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
          />
          {hydrated ? (
            <button
              type="button"
              onClick={paste}
              className="absolute inset-y-1.5 right-1.5 rounded-md px-3 text-sm font-medium text-brand-700 hover:bg-brand-50 dark:text-brand-400 dark:hover:bg-slate-800"
            >
              {t("analyze.paste")}
            </button>
          ) : null}
        </div>
        <button
          type="submit"
          disabled={busy}
          className="rounded-lg bg-brand-600 px-6 py-3 font-semibold text-white shadow hover:bg-brand-700 disabled:opacity-60"
        >
          {busy ? t("analyze.busy") : t("analyze.submit")}
        </button>
      </div>
      <label className="flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
        <input type="checkbox" name="then" value="best" className="size-4 rounded border-slate-400" data-testid="then-best" />
        {t("analyze.thenBest")}
      </label>
      {errors.length ? (
        <p id={fields.url.errorId} role="alert" className="text-sm text-red-700 dark:text-red-300">
          {errors.join(" ")}
        </p>
      ) : (
        <p className="text-sm text-slate-600 dark:text-slate-400">{t("analyze.hint")}</p>
      )}
    </Form>
  );
}
