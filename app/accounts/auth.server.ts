import { parseWithZod } from "@conform-to/zod";
import { data } from "@remix-run/node";
import { Authenticator } from "remix-auth";
import { FormStrategy } from "remix-auth-form";
import { LoginSchema, SignupSchema } from "~/lib/auth-schemas";
import { translator } from "~/lib/i18n";
import { limitHeaders } from "~/platform/index.server";
import { getPreferences } from "~/web/index.server";
import { consumeAuthAttempt, recordFailedSignIn, resetEmailAttempts } from "./sign-in-limits.server";
import { createUserSession, getUser } from "./session.server";
import { createUser, EmailTakenError, verifyLogin, type PublicUser } from "./users.server";

class InvalidCredentialsError extends Error {
  constructor() {
    super("That email and password do not match an account.");
  }
}

const authenticator = new Authenticator<PublicUser>();

authenticator.use(
  new FormStrategy(async ({ form }) => {
    const { email, password } = LoginSchema.parse(Object.fromEntries(form));
    const user = await verifyLogin({ email, password });
    if (!user) throw new InvalidCredentialsError();
    return user;
  }),
  "login",
);

authenticator.use(
  new FormStrategy(async ({ form, request }) => {
    const { email, password } = SignupSchema.parse(Object.fromEntries(form));
    // A guest who signs up keeps what they did as a guest: the guest becomes the account.
    const current = await getUser(request);
    return createUser({ email, password, guestId: current?.tier === "guest" ? current.id : undefined });
  }),
  "signup",
);

/**
 * Runs a sign-in or sign-up form submission end to end: validation, the
 * sign-in limits (per address, per address + account, an account-wide slow-down), the remix-auth strategy, and a new session.
 * Returns conform's reply (with a status) on failure, a redirect on success.
 */
export async function handleAuthSubmission(kind: "login" | "signup", request: Request, ip: string) {
  const formData = await request.clone().formData();
  const submission = parseWithZod(formData, { schema: kind === "login" ? LoginSchema : SignupSchema });
  if (submission.status !== "success") {
    return data(submission.reply({ hideFields: ["password", "confirmPassword"] }), { status: 400 });
  }
  const { email, redirectTo } = submission.value;

  const t = translator((await getPreferences(request)).locale);
  const limit = await consumeAuthAttempt({ ip, email });
  if (!limit.allowed) {
    const limited = limit.reason === "limited";
    const message = limited ? t("auth.tooManyAttempts", { minutes: Math.ceil(limit.resetSeconds / 60) }) : t("auth.unavailable");
    return data(submission.reply({ formErrors: [message], hideFields: ["password", "confirmPassword"] }), {
      status: limited ? 429 : 503,
      headers: limitHeaders(limit),
    });
  }

  try {
    const user = await authenticator.authenticate(kind, request);
    await resetEmailAttempts({ ip, email });
    const toast = { kind: "success", key: kind === "login" ? "toast.signedIn" : "toast.signedUp" } as const;
    return createUserSession({ request, userId: user.id, ip, redirectTo, toast });
  } catch (err) {
    if (err instanceof InvalidCredentialsError) await recordFailedSignIn(email);
    if (err instanceof InvalidCredentialsError || err instanceof EmailTakenError) {
      const message = t(err instanceof EmailTakenError ? "auth.emailTaken" : "auth.invalidCredentials");
      const reply = submission.reply({ formErrors: [message], hideFields: ["password", "confirmPassword"] });
      return data(reply, { status: err instanceof EmailTakenError ? 409 : 401 });
    }
    throw err;
  }
}
