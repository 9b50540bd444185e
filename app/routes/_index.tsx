import { parseWithZod } from "@conform-to/zod";
import type { ActionFunctionArgs, LoaderFunctionArgs } from "@remix-run/node";
import { data, redirect } from "@remix-run/node";
import { Link, useActionData, useLoaderData } from "@remix-run/react";
import { AnalyzeForm } from "~/components/analyze-form";
import { RecentAnalyses } from "~/components/recent-analyses";
import { useI18n } from "~/hooks/use-i18n";
import { AnalyzeFormSchema } from "~/lib/media-url";
import { getUser, isSecureRequest, startGuestSession } from "~/accounts/index.server";
import { listRecentAnalyses, requestAnalysis } from "~/analysis/index.server";
import { config } from "~/config.server";
import { AppError } from "~/platform/index.server";
import { redirectWithToast, requestTranslator, statusOf } from "~/web/index.server";

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await getUser(request);
  const recent = user ? await listRecentAnalyses({ userId: user.id, limit: 8 }) : [];
  return {
    user: user && { email: user.email, tier: user.tier },
    guestDaily: config.GUEST_DAILY,
    recent: recent.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
    prefill: new URL(request.url).searchParams.get("url") ?? undefined,
  };
}

export async function action({ request, context }: ActionFunctionArgs) {
  const formData = await request.formData();
  const submission = parseWithZod(formData, { schema: AnalyzeFormSchema });
  if (submission.status !== "success") return data(submission.reply(), { status: 400 });

  // A visitor without an account becomes a guest here (when guests are allowed). The guest's
  // cookie goes with every answer, a refusal included, so a retry does not make another guest.
  let guestCookie: string | null = null;
  try {
    const signedIn = await getUser(request);
    const guest = signedIn ? null : await startGuestSession(request, context.clientIp);
    guestCookie = guest?.cookie ?? null;
    const user = signedIn ?? guest?.user;
    if (!user) {
      // Guests are off: keep what they pasted across the sign-in, and say why they are there.
      const back = `/?${new URLSearchParams({ url: submission.value.url })}`;
      throw await redirectWithToast(
        `/login?${new URLSearchParams({ redirectTo: back })}`,
        { kind: "info", key: "toast.signInToAnalyze" },
        { secure: isSecureRequest(request) },
      );
    }
    const analysis = await requestAnalysis({ user, url: submission.value.url });
    throw redirect(
      `/analyze/${analysis.requestId}${submission.value.then ? `?then=${submission.value.then}` : ""}`,
      guestCookie ? { headers: { "Set-Cookie": guestCookie } } : undefined,
    );
  } catch (err) {
    if (err instanceof AppError) {
      const { explain } = await requestTranslator(request);
      const headers = new Headers(err.headers);
      if (guestCookie) headers.append("Set-Cookie", guestCookie);
      return data(submission.reply({ formErrors: [explain(err)] }), { status: statusOf(err), headers });
    }
    throw err;
  }
}

export default function Index() {
  const { user, recent, prefill, guestDaily } = useLoaderData<typeof loader>();
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
      {user ? <RecentAnalyses items={recent} /> : null}
      {!user || user.tier === "guest" ? (
        <p className="text-slate-600 dark:text-slate-300" data-testid="signed-out-hint">
          {guestDaily > 0 ? `${t("home.guest.lead", { count: guestDaily })} ` : null}
          <Link to="/signup" className={strong}>
            {t("home.signedOut.create")}
          </Link>{" "}
          {t("home.signedOut.or")}{" "}
          <Link to="/login" className={strong}>
            {t("home.signedOut.login")}
          </Link>{" "}
          {guestDaily > 0 ? t("home.guest.rest") : t("home.signedOut.rest")}
        </p>
      ) : null}
    </section>
  );
}
