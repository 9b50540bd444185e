import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useSearchParams } from "@remix-run/react";
import { AuthForm } from "~/components/auth-form";
import { pageTitle } from "~/lib/page-title";
import { LoginSchema } from "~/lib/auth-schemas";
import { handleAuthSubmission, redirectIfSignedIn } from "~/accounts/index.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "meta.login");

// Rate-limit headers (Retry-After, RateLimit-*) from the action reach document responses too.
export const headers: HeadersFunction = ({ actionHeaders }) => actionHeaders;

export const loader = ({ request }: LoaderFunctionArgs) => redirectIfSignedIn(request);

export async function action({ request, context }: ActionFunctionArgs) {
  return handleAuthSubmission("login", request, context.clientIp);
}

export default function LoginPage() {
  const lastResult = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get("redirectTo");
  return (
    <AuthForm
      id="login"
      title="auth.login.title"
      schema={LoginSchema}
      lastResult={lastResult}
      redirectTo={redirectTo}
      submitLabel="auth.login.submit"
      fields={[
        { name: "email", label: "auth.email", type: "email", autoComplete: "email" },
        { name: "password", label: "auth.password", type: "password", autoComplete: "current-password" },
      ]}
      footer={{
        text: "auth.login.footer",
        linkLabel: "auth.login.footerLink",
        to: redirectTo ? `/signup?${new URLSearchParams({ redirectTo })}` : "/signup",
      }}
    />
  );
}
