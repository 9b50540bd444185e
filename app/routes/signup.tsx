import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useSearchParams } from "@remix-run/react";
import { AuthForm } from "~/components/auth-form";
import { pageTitle } from "~/lib/page-title";
import { SignupSchema } from "~/lib/auth-schemas";
import { handleAuthSubmission, redirectIfSignedIn } from "~/accounts/index.server";

export const meta: MetaFunction = ({ matches }) => pageTitle(matches, "meta.signup");

// Rate-limit headers (Retry-After, RateLimit-*) from the action reach document responses too.
export const headers: HeadersFunction = ({ actionHeaders }) => actionHeaders;

export const loader = ({ request }: LoaderFunctionArgs) => redirectIfSignedIn(request);

export async function action({ request, context }: ActionFunctionArgs) {
  return handleAuthSubmission("signup", request, context.clientIp);
}

export default function SignupPage() {
  const lastResult = useActionData<typeof action>();
  const [searchParams] = useSearchParams();
  const redirectTo = searchParams.get("redirectTo");
  return (
    <AuthForm
      id="signup"
      title="auth.signup.title"
      schema={SignupSchema}
      lastResult={lastResult}
      redirectTo={redirectTo}
      submitLabel="auth.signup.submit"
      fields={[
        { name: "email", label: "auth.email", type: "email", autoComplete: "email" },
        { name: "password", label: "auth.passwordNew", type: "password", autoComplete: "new-password" },
        { name: "confirmPassword", label: "auth.passwordRepeat", type: "password", autoComplete: "new-password" },
      ]}
      footer={{
        text: "auth.signup.footer",
        linkLabel: "auth.signup.footerLink",
        to: redirectTo ? `/login?${new URLSearchParams({ redirectTo })}` : "/login",
      }}
    />
  );
}
