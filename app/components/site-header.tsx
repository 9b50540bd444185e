import { Form, Link } from "@remix-run/react";

type HeaderUser = { email: string; tier: "free" | "pro"; role: "user" | "admin" } | null;

export function SiteHeader({ user, wide = false }: { user: HeaderUser; wide?: boolean }) {
  return (
    <header className="border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-900/80">
      <nav className={`mx-auto flex items-center ${wide ? "max-w-7xl" : "max-w-3xl"} justify-between gap-2 px-3 py-3 sm:gap-4 sm:px-4`} aria-label="Main">
        <Link to="/" className="flex items-center gap-2 whitespace-nowrap text-lg font-bold tracking-tight">
          <span aria-hidden data-testid="logo-mark" className="grid h-8 w-8 shrink-0 place-items-center rounded-lg bg-brand-600 text-white">
            ↓
          </span>
          Tải Video Nhanh
        </Link>
        {user ? (
          <div className="flex min-w-0 flex-wrap items-center justify-end gap-x-2 gap-y-1 text-sm sm:gap-x-3">
            {user.role === "admin" ? (
              <Link to="/dashboard" className="font-medium hover:underline">
                Dashboard
              </Link>
            ) : null}
            <Link to="/tokens" className="font-medium hover:underline">
              Links
            </Link>
            <Link to="/account" className="font-medium hover:underline" data-testid="account-link" title={user.email}>
              <span className="sm:hidden">Account</span>
              <span className="hidden max-w-[16rem] truncate align-bottom sm:inline-block">{user.email}</span>
            </Link>
            <Form method="post" action="/logout">
              <button type="submit" className="whitespace-nowrap rounded-md border border-slate-300 px-3 py-1.5 font-medium hover:bg-slate-100 dark:border-slate-700 dark:hover:bg-slate-800">
                Log out
              </button>
            </Form>
          </div>
        ) : (
          <div className="flex items-center gap-2 text-sm">
            <Link to="/login" className="rounded-md px-3 py-1.5 font-medium hover:bg-slate-100 dark:hover:bg-slate-800">
              Log in
            </Link>
            <Link to="/signup" className="rounded-md bg-brand-600 px-3 py-1.5 font-medium text-white hover:bg-brand-700">
              Sign up
            </Link>
          </div>
        )}
      </nav>
    </header>
  );
}
