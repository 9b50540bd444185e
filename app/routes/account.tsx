import type { LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { Form, useLoaderData } from "@remix-run/react";
import { requireUser } from "~/services/session.server";

export const meta: MetaFunction = () => [{ title: "Your account · Tải Video Nhanh" }];

export async function loader({ request }: LoaderFunctionArgs) {
  const user = await requireUser(request);
  return {
    email: user.email,
    tier: user.tier,
    role: user.role,
    memberSince: user.createdAt.toISOString(),
  };
}

export default function AccountPage() {
  const account = useLoaderData<typeof loader>();
  return (
    <section className="space-y-6">
      <h1 className="text-2xl font-bold tracking-tight">Your account</h1>
      <dl className="divide-y divide-slate-200 rounded-xl border border-slate-200 bg-white dark:divide-slate-800 dark:border-slate-800 dark:bg-slate-900">
        <Row label="Email" value={account.email} />
        <Row
          label="Plan"
          value={
            <span
              data-testid="tier"
              className={
                account.tier === "pro"
                  ? "rounded-full bg-amber-100 px-2.5 py-0.5 text-sm font-semibold text-amber-900"
                  : "rounded-full bg-slate-100 px-2.5 py-0.5 text-sm font-semibold text-slate-700 dark:bg-slate-800 dark:text-slate-200"
              }
            >
              {account.tier === "pro" ? "Pro" : "Free"}
            </span>
          }
        />
        {account.role === "admin" ? <Row label="Role" value="Administrator" /> : null}
        <Row label="Member since" value={new Date(account.memberSince).toLocaleDateString("en-GB", { dateStyle: "long", timeZone: "UTC" })} />
      </dl>
      <Form method="post" action="/logout">
        <button type="submit" className="rounded-md border border-slate-300 px-4 py-2 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
          Log out
        </button>
      </Form>
    </section>
  );
}

function Row({ label, value }: { label: string; value: React.ReactNode }) {
  return (
    <div className="flex items-center justify-between gap-4 px-4 py-3">
      <dt className="text-sm text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="font-medium">{value}</dd>
    </div>
  );
}
