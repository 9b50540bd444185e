import type { MetaFunction } from "@remix-run/node";
import { Link, useRouteLoaderData } from "@remix-run/react";
import type { loader as rootLoader } from "~/root";

export const meta: MetaFunction = () => [
  { title: "Tải Video Nhanh: fast video downloads" },
  { name: "description", content: "Paste a video page link, pick a format, and download it straight to your device." },
];

export default function Index() {
  const root = useRouteLoaderData<typeof rootLoader>("root");
  const user = root?.user ?? null;
  return (
    <section className="space-y-8">
      <div className="space-y-3">
        <h1 className="text-3xl font-extrabold tracking-tight sm:text-4xl">Paste a link. Pick a format. Download.</h1>
        <p className="text-lg text-slate-600 dark:text-slate-300">
          Tải Video Nhanh analyses a video page, lists every format it offers and streams the one you choose straight
          to your device — nothing is stored on the server.
        </p>
      </div>
      {user ? (
        <p className="rounded-xl border border-slate-200 bg-white p-4 dark:border-slate-800 dark:bg-slate-900" data-testid="welcome">
          Signed in as <strong>{user.email}</strong> on the <strong>{user.tier === "pro" ? "Pro" : "Free"}</strong> plan.
        </p>
      ) : (
        <div className="flex flex-wrap gap-3">
          <Link to="/signup" className="rounded-md bg-brand-600 px-5 py-2.5 font-semibold text-white shadow hover:bg-brand-700">
            Create a free account
          </Link>
          <Link to="/login" className="rounded-md border border-slate-300 px-5 py-2.5 font-semibold hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
            Log in
          </Link>
        </div>
      )}
    </section>
  );
}
