import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useSearchParams } from "@remix-run/react";
import { AuthForm } from "~/components/auth-form";
import { LoginSchema } from "~/lib/auth-schemas";
import { handleAuthSubmission } from "~/services/auth.server";
import { redirectIfSignedIn } from "~/services/session.server";

export const meta: MetaFunction = () => [{ title: "Log in · Tải Video Nhanh" }];

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
      title="Log in"
      schema={LoginSchema}
      lastResult={lastResult}
      redirectTo={redirectTo}
      submitLabel="Log in"
      fields={[
        { name: "email", label: "Email", type: "email", autoComplete: "email" },
        { name: "password", label: "Password", type: "password", autoComplete: "current-password" },
      ]}
      footer={{
        text: "New here?",
        linkLabel: "Create an account",
        to: redirectTo ? `/signup?${new URLSearchParams({ redirectTo })}` : "/signup",
      }}
    />
  );
}
