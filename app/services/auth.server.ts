import { parseWithZod } from "@conform-to/zod";
import { data } from "@remix-run/node";
import { Authenticator } from "remix-auth";
import { FormStrategy } from "remix-auth-form";
import { LoginSchema, SignupSchema } from "~/lib/auth-schemas";
import { consumeAuthAttempt, limitHeaders, resetEmailAttempts } from "./rate-limit.server";
import { createUserSession } from "./session.server";
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
  new FormStrategy(async ({ form }) => {
    const { email, password } = SignupSchema.parse(Object.fromEntries(form));
    return createUser({ email, password });
  }),
  "signup",
);

/**
 * Runs a sign-in or sign-up form submission end to end: validation, the
 * per-IP and per-email limits, the remix-auth strategy, and a new session.
 * Returns conform's reply (with a status) on failure, a redirect on success.
 */
export async function handleAuthSubmission(kind: "login" | "signup", request: Request, ip: string) {
  const formData = await request.clone().formData();
  const submission = parseWithZod(formData, { schema: kind === "login" ? LoginSchema : SignupSchema });
  if (submission.status !== "success") {
    return data(submission.reply({ hideFields: ["password", "confirmPassword"] }), { status: 400 });
  }
  const { email, redirectTo } = submission.value;

  const limit = await consumeAuthAttempt({ ip, email });
  if (!limit.allowed) {
    const limited = limit.reason === "limited";
    const message = limited
      ? `Too many attempts. Try again in ${Math.ceil(limit.resetSeconds / 60)} minute(s).`
      : "Sign-in is unavailable for a moment. Please try again shortly.";
    return data(submission.reply({ formErrors: [message], hideFields: ["password", "confirmPassword"] }), {
      status: limited ? 429 : 503,
      headers: limitHeaders(limit),
    });
  }

  try {
    const user = await authenticator.authenticate(kind, request);
    await resetEmailAttempts(email);
    return createUserSession({ request, userId: user.id, ip, redirectTo });
  } catch (err) {
    if (err instanceof InvalidCredentialsError || err instanceof EmailTakenError) {
      const reply = submission.reply({ formErrors: [err.message], hideFields: ["password", "confirmPassword"] });
      return data(reply, { status: err instanceof EmailTakenError ? 409 : 401 });
    }
    throw err;
  }
}
