import { parseWithZod } from "@conform-to/zod";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { AnalyzeForm } from "~/components/analyze-form";
import { RecentAnalyses } from "~/components/recent-analyses";
import { useI18n } from "~/hooks/use-i18n";
import { AnalyzeFormSchema } from "~/lib/media-url";
import { getUser } from "~/accounts/index.server";
import { listRecentAnalyses, requestAnalysis } from "~/analysis/index.server";
import { AppError } from "~/platform/index.server";
import { requestTranslator, statusOf } from "~/web/index.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getUser(request);
  const recent = user ? await listRecentAnalyses({ userId: user.id, limit: 8 }) : [];
  return {
    user: user && { email: user.email, tier: user.tier },
    recent: recent.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    prefill: new URL(request.url).searchParams.get("url") ?? undefined,
  };
}

export async function action({ request }: ActionFunctionArgs) {
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: AnalyzeFormSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });

  const user = await getUser(request);
  if (!user) {
    // Keep what they pasted across the sign-in.
    const back = `/?${new URLSearchParams({ url: submission.value.url })}`;
    throw redirect(`/login?${new URLSearchParams({ redirectTo: back })}`);
  }
  try {
    const analysis = await requestAnalysis({ user, url: submission.value.url });
    throw redirect(`/analyze/${analysis.requestId}${submission.value.then ? `?then=${submission.value.then}` : ""}`);
  } catch (err) {
    if (err instanceof AppError) {
      const { explain } = await requestTranslator(request);
      return data(submission.reply({ formErrors: [explain(err)] }), { status: statusOf(err), headers: err.headers });
    }
    throw err;
  }
}

export default function Index() {
  const { user, recent, prefill } = useLoaderData<typeof loader>();
  const lastResult = useActionData<typeof action>();
  const { t } = useI18n();
  const strong = "font-semibold text-brand-700 underline dark:text-brand-400";
  return (
    <section className="space-y-10">
      <div className="space-y-3">
        <h1 className="text-3xl font-extrabold tracking-tight sm:text-4xl">{t("home.heading")}</h1>
        <p className="text-lg text-slate-600 dark:text-slate-300">{t("home.lead")}</p>
      </div>
      <AnalyzeForm lastResult={lastResult} defaultUrl={prefill} />
      {user ? (
        <RecentAnalyses items={recent} />
      ) : (
        <p className="text-slate-600 dark:text-slate-300" data-testid="signed-out-hint">
          <Link to="/signup" className={strong}>
            {t("home.signedOut.create")}
          </Link>{" "}
          {t("home.signedOut.or")}{" "}
          <Link to="/login" className={strong}>
            {t("home.signedOut.login")}
          </Link>{" "}
          {t("home.signedOut.rest")}
        </p>
      )}
    </section>
  );
}
