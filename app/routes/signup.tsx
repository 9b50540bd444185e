import type { ActionFunctionArgs, HeadersFunction, LoaderFunctionArgs, MetaFunction } from "@remix-run/node";
import { useActionData, useSearchParams } from "@remix-run/react";
import { AuthForm } from "~/components/auth-form";
import { SignupSchema } from "~/lib/auth-schemas";
import { handleAuthSubmission } from "~/services/auth.server";
import { redirectIfSignedIn } from "~/services/session.server";

export const meta: MetaFunction = () => [{ title: "Sign up · Tải Video Nhanh" }];

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
      title="Create your account"
      schema={SignupSchema}
      lastResult={lastResult}
      redirectTo={redirectTo}
      submitLabel="Sign up"
      fields={[
        { name: "email", label: "Email", type: "email", autoComplete: "email" },
        { name: "password", label: "Password (8+ characters)", type: "password", autoComplete: "new-password" },
        { name: "confirmPassword", label: "Repeat password", type: "password", autoComplete: "new-password" },
      ]}
      footer={{
        text: "Already have an account?",
        linkLabel: "Log in",
        to: redirectTo ? `/login?${new URLSearchParams({ redirectTo })}` : "/login",
      }}
    />
  );
}
