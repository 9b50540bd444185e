import { config } from "~/config.server";
import { AppError, consume, createLimiter, limitHeaders, windowOf, type LimitOutcome, type SharedWindow } from "~/platform/index.server";

const apiPerIp = createLimiter({ prefix: "api-ip", points: config.API_RATE_LIMIT_PER_MINUTE, durationSeconds: 60 });

export const API_BUDGET_REFUSED = { code: "rate_limited", message: "Too many requests from your address. Slow down and try again shortly." } as const;

/**
 * Addresses this process has seen spend their budget, until their window ends: a flood is then
 * refused without asking Redis (or, on the link route, reading the database) again.
 */
const spentUntil = new Map<string, number>();
const SPENT_REMEMBERED_MAX = 10_000;

function remember(ip: string, resetSeconds: number) {
  const now = Date.now();
  // Older entries first: those whose window ended are dropped from the front, and the oldest make room past the bound.
  for (const [known, until] of spentUntil) {
    if (until > now && spentUntil.size < SPENT_REMEMBERED_MAX) break;
    spentUntil.delete(known);
  }
  spentUntil.delete(ip);
  spentUntil.set(ip, now + resetSeconds * 1000);
}

function knownSpent(ip: string): Extract<LimitOutcome, { reason: "limited" }> | null {
  const until = spentUntil.get(ip);
  if (until === undefined) return null;
  const ms = until - Date.now();
  if (ms <= 0) {
    spentUntil.delete(ip);
    return null;
  }
  return { allowed: false, reason: "limited", limit: apiPerIp.points, remaining: 0, resetSeconds: Math.ceil(ms / 1000) };
}

/** One budget per client address over the whole streaming API, downloads included. */
export async function consumeApiRequest(ip: string): Promise<LimitOutcome> {
  const known = knownSpent(ip);
  if (known) return known;
  const outcome = await consume(apiPerIp, ip);
  if (!outcome.allowed && outcome.reason === "limited") remember(ip, outcome.resetSeconds);
  return outcome;
}

function refusal(outcome: { limit: number; resetSeconds: number }) {
  return new AppError("limited", API_BUDGET_REFUSED.code, API_BUDGET_REFUSED.message, {
    retryAfterSeconds: outcome.resetSeconds,
    headers: limitHeaders({ allowed: false, reason: "limited", remaining: 0, ...outcome }),
  });
}

/**
 * The address' budget for one request that link creation may spend in its own limit script (one
 * round trip to Redis for every limit). The Express middleware makes it for such requests
 * instead of spending the budget itself, and spends it when the answer is gone if nothing else
 * did (a body refused for its size, an answer Remix gave without the route): every request pays
 * exactly once.
 */
export type ApiBudgetTicket = { spent: boolean };

/** POST /api/streaming/token, as Express and Remix route it (any case, a trailing slash, single fetch's `.data`). */
const LINK_CREATION = /^\/api\/streaming\/token(\/|\.data)?$/i;

export function deferApiBudget(method: string, path: string): ApiBudgetTicket | null {
  return method === "POST" && LINK_CREATION.test(path) ? { spent: false } : null;
}

/**
 * Runs a route that spends the address' budget in its own script (`run` hands the window on).
 * A request that ends before that script ran (not signed in, a bad body, no such analysis)
 * spends it here instead, and is refused if that was one too many. Without a ticket the
 * middleware has spent it already (a path it did not recognise): `run` gets no window.
 */
export async function withApiBudget<T>(ip: string, ticket: ApiBudgetTicket | undefined, run: (budget?: SharedWindow) => Promise<T>): Promise<T> {
  if (!ticket) return run();
  const known = knownSpent(ip);
  if (known) throw refusal(known);
  // The ticket itself is the window the script spends: what the script marks, the middleware sees.
  const budget: SharedWindow = Object.assign(ticket, {
    ...windowOf(apiPerIp, ip),
    refusal: (outcome: { limit: number; resetSeconds: number }) => {
      remember(ip, outcome.resetSeconds);
      return refusal(outcome);
    },
  });
  try {
    return await run(budget);
  } catch (err) {
    if (!budget.spent) {
      budget.spent = true;
      const outcome = await consumeApiRequest(ip);
      if (!outcome.allowed && outcome.reason === "limited") throw refusal(outcome);
    }
    throw err;
  }
}
