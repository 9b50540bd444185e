import { config } from "~/config.server";
import { consume, createLimiter, logger } from "~/platform/index.server";

const window = config.AUTH_RATE_LIMIT_WINDOW_SECONDS;

const limiters = {
  perIp: createLimiter({ prefix: "auth-ip", points: config.AUTH_RATE_LIMIT_PER_IP, durationSeconds: window }),
  perEmail: createLimiter({ prefix: "auth-email", points: config.AUTH_RATE_LIMIT_PER_EMAIL, durationSeconds: window }),
};

const emailKey = (email: string) => email.trim().toLowerCase();

/** Counts one sign-in or sign-up attempt against both the client IP and the email. */
export async function consumeAuthAttempt({ ip, email }: { ip: string; email: string }) {
  const byIp = await consume(limiters.perIp, ip);
  if (!byIp.allowed) return byIp;
  return consume(limiters.perEmail, emailKey(email));
}

/** A successful sign-in clears the email's failed attempts; if Redis is down they simply expire. */
export async function resetEmailAttempts(email: string) {
  await limiters.perEmail.delete(emailKey(email)).catch((err: unknown) => logger.warn({ err }, "could not reset sign-in attempts"));
}
