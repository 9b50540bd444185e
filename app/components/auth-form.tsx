import { getFormProps, getInputProps, useForm, type FieldMetadata, type SubmissionResult } from "@conform-to/react";
import { getZodConstraint, parseWithZod } from "@conform-to/zod";
import { Form, Link, useNavigation } from "@remix-run/react";
import type { ZodTypeAny } from "zod";
import { useI18n } from "~/hooks/use-i18n";
import type { MessageKey } from "~/lib/i18n";

type FieldSpec = { name: string; label: MessageKey; type: "email" | "password"; autoComplete: string };

/**
 * A sign-in/sign-up form: validated on the server (works with JS off) and,
 * once hydrated, on the client too with the same zod schema.
 */
export function AuthForm({
  id,
  title,
  schema,
  fields,
  submitLabel,
  lastResult,
  redirectTo,
  footer,
}: {
  id: string;
  title: MessageKey;
  schema: ZodTypeAny;
  fields: FieldSpec[];
  submitLabel: MessageKey;
  lastResult: SubmissionResult<string[]> | undefined;
  redirectTo: string | null;
  footer: { text: MessageKey; linkLabel: MessageKey; to: string };
}) {
  const navigation = useNavigation();
  const { t } = useI18n();
  const [form, formFields] = useForm({
    id,
    lastResult,
    constraint: getZodConstraint(schema),
    shouldValidate: "onBlur",
    shouldRevalidate: "onInput",
    onValidate: ({ formData }) => parseWithZod(formData, { schema }),
  });
  const busy = navigation.state !== "idle" && navigation.formAction?.startsWith(`/${id}`);

  return (
    <section className="mx-auto max-w-sm">
      <h1 className="text-2xl font-bold tracking-tight">{t(title)}</h1>
      <Form method="post" {...getFormProps(form)} className="mt-6 space-y-4" data-testid={`${id}-form`}>
        {form.errors?.length ? (
          <div
            id={form.errorId}
            role="alert"
            className="rounded-md border border-red-300 bg-red-50 p-3 text-sm text-red-800 dark:border-red-800 dark:bg-red-950 dark:text-red-200"
          >
            {form.errors.map((e) => t(e)).join(" ")}
          </div>
        ) : null}
        {fields.map((spec) => {
          const field = (formFields as Record<string, FieldMetadata<string>>)[spec.name];
          if (!field) return null;
          return (
            <div key={spec.name}>
              <label htmlFor={field.id} className="block text-sm font-medium">
                {t(spec.label)}
              </label>
              <input
                {...getInputProps(field, { type: spec.type })}
                autoComplete={spec.autoComplete}
                className="mt-1 block w-full rounded-md border border-slate-300 bg-white px-3 py-2 shadow-sm aria-[invalid]:border-red-500 dark:border-slate-700 dark:bg-slate-900"
              />
              {field.errors?.length ? (
                <p id={field.errorId} className="mt-1 text-sm text-red-700 dark:text-red-300">
                  {field.errors.map((e) => t(e)).join(" ")}
                </p>
              ) : null}
            </div>
          );
        })}
        {redirectTo ? <input type="hidden" name="redirectTo" value={redirectTo} /> : null}
        <button
          type="submit"
          disabled={busy}
          className="w-full rounded-md bg-brand-600 px-4 py-2 font-semibold text-white shadow hover:bg-brand-700 disabled:opacity-60"
        >
          {busy ? t("auth.busy") : t(submitLabel)}
        </button>
      </Form>
      <p className="mt-6 text-sm text-slate-600 dark:text-slate-400">
        {t(footer.text)}{" "}
        <Link to={footer.to} className="font-medium text-brand-700 underline dark:text-brand-400">
          {t(footer.linkLabel)}
        </Link>
      </p>
    </section>
  );
}
