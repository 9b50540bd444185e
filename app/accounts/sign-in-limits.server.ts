import { setTimeout as sleep } from "node:timers/promises";
import { config } from "~/config.server";
import { consume, createLimiter, logger } from "~/platform/index.server";

/**
 * Sign-in limits a stranger cannot turn against a user. Attempts are counted
 * per client address and per address + account, and those refuse; failures
 * are also counted per account across all addresses, and past that ceiling
 * each attempt on the account is slowed down — never refused, so the right
 * password from a new address still gets in.
 */
const window = config.AUTH_RATE_LIMIT_WINDOW_SECONDS;
const ACCOUNT_SLOWDOWN_MS = 1_000;

const limiters = {
  perIp: createLimiter({ prefix: "auth-ip", points: config.AUTH_RATE_LIMIT_PER_IP, durationSeconds: window }),
  perIpAccount: createLimiter({ prefix: "auth-ip-email", points: config.AUTH_RATE_LIMIT_PER_EMAIL, durationSeconds: window }),
  accountFailures: createLimiter({ prefix: "auth-email-failures", points: config.AUTH_ACCOUNT_FAILURES_BEFORE_SLOWDOWN, durationSeconds: window }),
};

const emailKey = (email: string) => email.trim().toLowerCase();
const pairKey = (ip: string, email: string) => `${ip}|${emailKey(email)}`;

/** Counts one sign-in or sign-up attempt against the client address and the address + account. */
export async function consumeAuthAttempt({ ip, email }: { ip: string; email: string }) {
  const byIp = await consume(limiters.perIp, ip);
  if (!byIp.allowed) return byIp;
  const byPair = await consume(limiters.perIpAccount, pairKey(ip, email));
  if (!byPair.allowed) return byPair;
  // An account under a spread-out attack answers slower, for everyone, but answers.
  const failures = await limiters.accountFailures.get(emailKey(email)).catch((err: unknown) => {
    logger.warn({ err }, "could not read an account's failed sign-ins");
    return null;
  });
  if (failures && failures.consumedPoints >= config.AUTH_ACCOUNT_FAILURES_BEFORE_SLOWDOWN) await sleep(ACCOUNT_SLOWDOWN_MS);
  return byPair;
}

/** A wrong password: counts toward the account-wide slow-down. */
export async function recordFailedSignIn(email: string) {
  await limiters.accountFailures.penalty(emailKey(email), 1).catch((err: unknown) => logger.warn({ err }, "could not count a failed sign-in"));
}

/** A successful sign-in clears this address' attempts on the account; if Redis is down they simply expire. */
export async function resetEmailAttempts({ ip, email }: { ip: string; email: string }) {
  await limiters.perIpAccount.delete(pairKey(ip, email)).catch((err: unknown) => logger.warn({ err }, "could not reset sign-in attempts"));
}
