import { createHash, randomUUID } from "node:crypto";
import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { decodeProtectedHeader, errors as joseErrors, jwtVerify, SignJWT, type JWTPayload } from "jose";
import { z } from "zod";
import type { PublicUser } from "~/accounts/index.server";
import { getAnalysis } from "~/analysis/index.server";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { AppError, consume, logger, redis } from "~/platform/index.server";
import { countToken } from "./counters.server";
import { dailyLimit, quotaMessage, dayKey, limiters, refusal } from "./limits.server";
import { streamTokens, type StreamToken } from "./tables";

export const STREAM_ABORT_CHANNEL = "stream:abort";

const sha256 = (value: string) => createHash("sha256").update(value).digest("hex");
export const hashToken = sha256;

/** Signing keys: the first secret signs; every listed one verifies (rotation). `kid` picks the key. */
const keys = config.STREAM_TOKEN_SECRET.map((secret) => ({ kid: sha256(secret).slice(0, 12), key: new TextEncoder().encode(secret) }));

const ClaimsSchema = z.object({
  sub: z.string().uuid(),
  jti: z.string().uuid(),
  fmt: z.string().min(1).max(200),
  aid: z.string().uuid(),
  exp: z.number().int(),
  ip: z.string().optional(),
  uah: z.string().optional(),
});
export type StreamClaims = z.infer<typeof ClaimsSchema>;

const uaHash = (userAgent: string | null) => sha256(userAgent ?? "").slice(0, 32);

async function signToken(row: {
  id: string;
  userId: string;
  formatId: string;
  analysisId: string;
  expiresAt: Date;
  clientIp: string | null;
  userAgent: string | null;
}) {
  const { kid, key } = keys[0];
  const extra: Record<string, string> = {};
  if (config.STREAM_TOKEN_BIND_IP && row.clientIp) extra.ip = row.clientIp;
  if (config.STREAM_TOKEN_BIND_UA) extra.uah = uaHash(row.userAgent);
  return new SignJWT({ fmt: row.formatId, aid: row.analysisId, ...extra })
    .setProtectedHeader({ alg: "HS256", kid, typ: "JWT" })
    .setSubject(row.userId)
    .setJti(row.id)
    .setIssuedAt()
    .setExpirationTime(Math.floor(row.expiresAt.getTime() / 1000))
    .sign(key);
}

const invalid = () => new AppError("unauthenticated", "invalid_token", "This download link is not valid.");

/**
 * Checks a token in the order the stream route needs: signature and shape
 * (401), known and not revoked (401/410), not expired (410), then the
 * optional IP / user-agent binding (403). Returns the stored row.
 */
export async function verifyStreamToken(token: string, client: { ip: string; userAgent: string | null }): Promise<StreamToken> {
  if (token.length > 4096) throw invalid();
  let payload: JWTPayload;
  let expired = false;
  try {
    const { kid } = decodeProtectedHeader(token);
    const key = keys.find((k) => k.kid === kid);
    if (!key) throw invalid();
    payload = (await jwtVerify(token, key.key, { algorithms: ["HS256"] })).payload;
  } catch (err) {
    if (err instanceof joseErrors.JWTExpired) {
      // The signature was good; report expiry only after the revocation check.
      payload = err.payload;
      expired = true;
    } else throw invalid();
  }
  const claims = ClaimsSchema.safeParse(payload);
  if (!claims.success) throw invalid();

  const [row] = await db
    .select()
    .from(streamTokens)
    .where(eq(streamTokens.tokenHash, hashToken(token)))
    .limit(1);
  if (!row || row.id !== claims.data.jti || row.userId !== claims.data.sub) throw invalid();
  if (row.revokedAt) throw new AppError("gone", "token_revoked", "This download link was revoked.");
  if (expired || row.expiresAt.getTime() <= Date.now()) throw new AppError("gone", "token_expired", "This download link has expired. Create a new one.");
  if (claims.data.ip && claims.data.ip !== client.ip)
    throw new AppError("forbidden", "token_bound_elsewhere", "This download link belongs to another network address.");
  if (claims.data.uah && claims.data.uah !== uaHash(client.userAgent))
    throw new AppError("forbidden", "token_bound_elsewhere", "This download link belongs to another browser.");
  return row;
}

type TokenRequest = { user: PublicUser; requestId: string; formatId: string; ip: string; userAgent: string | null };

export type CreatedToken = { token: string; tokenId: string; streamUrl: string; expiresAt: string };

function tokenResponse(token: string, row: { id: string; expiresAt: Date }): CreatedToken {
  return { token, tokenId: row.id, streamUrl: `/api/streaming/stream/${token}`, expiresAt: row.expiresAt.toISOString() };
}

/**
 * A download link for one format of a finished analysis. Limits, in order:
 * active tokens (counted in Postgres under a lock on the user's row, so two
 * requests at once cannot both take the last place), tokens per hour, and the
 * tier's daily quota (both in Redis; a later refusal gives back the earlier
 * point, so every count is exact).
 */
export async function createStreamToken(request: TokenRequest): Promise<CreatedToken> {
  try {
    const created = await issueStreamToken(request);
    void countToken({ created: true });
    return created;
  } catch (err) {
    // Limits and an unavailable limiter are what monitoring counts as refusals.
    if (err instanceof AppError && (err.kind === "limited" || err.kind === "unavailable")) void countToken({ refusedWith: err.code });
    throw err;
  }
}

async function issueStreamToken({ user, requestId, formatId, ip, userAgent }: TokenRequest): Promise<CreatedToken> {
  const analysis = await getAnalysis({ requestId, userId: user.id });
  if (!analysis) throw new AppError("not_found", "not_found", "No analysis with this id.");
  if (analysis.status !== "completed" || !analysis.result) throw new AppError("conflict", "analysis_not_ready", "This analysis has not finished yet.");
  const format = analysis.result.formats.find((f) => f.id === formatId);
  if (!format) throw new AppError("not_found", "format_not_found", "This analysis has no such format.");

  return db.transaction(async (tx) => {
    // One creation at a time per user: the count below and the insert are one atomic step.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${user.id}, 0))`);
    // Counting stops at the limit: the check costs the same however many links a user has.
    const live = tx
      .select({ one: sql`1` })
      .from(streamTokens)
      .where(and(eq(streamTokens.userId, user.id), isNull(streamTokens.revokedAt), gt(streamTokens.expiresAt, new Date())))
      .limit(config.MAX_TOKENS_PER_USER)
      .as("live");
    const [{ active }] = await tx.select({ active: sql<number>`count(*)::int` }).from(live);
    if (active >= config.MAX_TOKENS_PER_USER) {
      throw new AppError(
        "limited",
        "too_many_active_tokens",
        `You already have ${config.MAX_TOKENS_PER_USER} active download links. Revoke one or wait for it to expire.`,
        {
          retryAfterSeconds: 60,
          headers: { "RateLimit-Limit": String(config.MAX_TOKENS_PER_USER), "RateLimit-Remaining": "0" },
        },
      );
    }
    const hourly = await consume(limiters.hourly, user.id);
    if (!hourly.allowed) throw refusal(hourly, "hourly_limit", `You can create ${config.MAX_TOKENS_PER_HOUR} download links per hour.`);
    const daily = await consume(limiters.daily[user.tier], dayKey(user.id));
    const guestAddress = daily.allowed && user.tier === "guest" ? await consume(limiters.guestAddress, dayKey(ip)) : null;
    const refused = !daily.allowed ? daily : guestAddress && !guestAddress.allowed ? guestAddress : null;
    if (refused || dailyLimit(user.tier) === 0) {
      await limiters.hourly.reward(user.id, 1).catch((err: unknown) => logger.warn({ err }, "could not give back an hourly link point"));
      if (daily.allowed) await limiters.daily[user.tier].reward(dayKey(user.id), 1).catch((err: unknown) => logger.warn({ err }, "could not give back a daily point"));
      throw refusal(
        refused ?? { allowed: false, reason: "limited", limit: 0, remaining: 0, resetSeconds: 86_400 },
        user.tier === "guest" ? "guest_quota_exceeded" : "daily_quota_exceeded",
        quotaMessage(user.tier),
      );
    }

    const row = {
      id: randomUUID(),
      userId: user.id,
      analysisId: analysis.id,
      sourceUrl: analysis.url,
      formatId: format.id,
      title: analysis.result!.title,
      ext: format.ext,
      delivery: format.delivery,
      clientIp: ip,
      userAgent: userAgent?.slice(0, 512) ?? null,
      bindIp: config.STREAM_TOKEN_BIND_IP,
      bindUa: config.STREAM_TOKEN_BIND_UA,
      expiresAt: new Date(Date.now() + config.STREAM_TOKEN_EXPIRES_MINUTES * 60_000),
    };
    const token = await signToken(row);
    await tx.insert(streamTokens).values({ ...row, tokenHash: hashToken(token) });
    return tokenResponse(token, row);
  });
}

/** The caller's own token, found from its plaintext (API) — any other is "not found". */
export async function findOwnedToken(token: string, userId: string) {
  const [row] = await db
    .select()
    .from(streamTokens)
    .where(and(eq(streamTokens.tokenHash, hashToken(token)), eq(streamTokens.userId, userId)))
    .limit(1);
  if (!row) throw new AppError("not_found", "token_not_found", "No such download link.");
  return row;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function ownedTokenById(tokenId: string, userId: string) {
  if (!UUID.test(tokenId)) throw new AppError("not_found", "token_not_found", "No such download link.");
  const [row] = await db
    .select()
    .from(streamTokens)
    .where(and(eq(streamTokens.id, tokenId), eq(streamTokens.userId, userId)))
    .limit(1);
  if (!row) throw new AppError("not_found", "token_not_found", "No such download link.");
  return row;
}

async function revoke(row: StreamToken) {
  if (!row.revokedAt) await db.update(streamTokens).set({ revokedAt: new Date() }).where(eq(streamTokens.id, row.id));
  // The revocation is recorded either way: without Redis, streams already running on this token
  // only stop at their end, and every new request is refused.
  await redis
    .publish(STREAM_ABORT_CHANNEL, row.id)
    .catch((err: unknown) => logger.warn({ err, tokenId: row.id }, "could not announce a revocation to other processes"));
}

/** Revokes the token and stops any stream running on it, in whichever web process serves it. */
export async function revokeStreamToken({ tokenId, userId }: { tokenId: string; userId: string }) {
  await revoke(await ownedTokenById(tokenId, userId));
}

/** An administrator revokes anyone's token, with the same effect. */
export async function revokeAnyStreamToken(tokenId: string) {
  const [row] = await db.select().from(streamTokens).where(eq(streamTokens.id, tokenId)).limit(1);
  if (!row) throw new AppError("not_found", "token_not_found", "No such download link.");
  await revoke(row);
  return row;
}

/** A fresh token with a new expiry for the same download; the old one is revoked. */
export async function refreshStreamToken({ tokenId, userId }: { tokenId: string; userId: string }): Promise<CreatedToken> {
  const old = await ownedTokenById(tokenId, userId);
  if (old.revokedAt) throw new AppError("gone", "token_revoked", "This download link was revoked.");
  if (old.expiresAt.getTime() <= Date.now()) throw new AppError("gone", "token_expired", "This download link has expired. Create a new one.");
  if (old.refreshCount >= config.MAX_TOKEN_REFRESHES) {
    throw new AppError("limited", "refresh_limit", `A download link can be refreshed ${config.MAX_TOKEN_REFRESHES} times.`);
  }
  const row = { ...old, id: randomUUID(), refreshCount: old.refreshCount + 1, expiresAt: new Date(Date.now() + config.STREAM_TOKEN_EXPIRES_MINUTES * 60_000) };
  const token = await signToken(row);
  await db.transaction(async (tx) => {
    // Only one refresh of a link can win: the others find it already revoked.
    const [revoked] = await tx
      .update(streamTokens)
      .set({ revokedAt: new Date() })
      .where(and(eq(streamTokens.id, old.id), isNull(streamTokens.revokedAt)))
      .returning({ id: streamTokens.id });
    if (!revoked) throw new AppError("gone", "token_revoked", "This download link was revoked.");
    await tx.insert(streamTokens).values({
      ...row,
      tokenHash: hashToken(token),
      createdAt: new Date(),
      revokedAt: null,
      lastUsedAt: null,
      streamCount: 0,
      bytesServed: 0,
    });
  });
  return tokenResponse(token, row);
}

export async function listActiveTokens(userId: string) {
  return db
    .select({
      tokenId: streamTokens.id,
      title: streamTokens.title,
      formatId: streamTokens.formatId,
      ext: streamTokens.ext,
      delivery: streamTokens.delivery,
      analysisId: streamTokens.analysisId,
      expiresAt: streamTokens.expiresAt,
      createdAt: streamTokens.createdAt,
      lastUsedAt: streamTokens.lastUsedAt,
      refreshCount: streamTokens.refreshCount,
      streamCount: streamTokens.streamCount,
      bytesServed: streamTokens.bytesServed,
    })
    .from(streamTokens)
    .where(and(eq(streamTokens.userId, userId), isNull(streamTokens.revokedAt), gt(streamTokens.expiresAt, new Date())))
    .orderBy(desc(streamTokens.createdAt));
}

export async function recordStreamEnd({ tokenId, bytes }: { tokenId: string; bytes: number }) {
  await db
    .update(streamTokens)
    .set({
      bytesServed: sql`${streamTokens.bytesServed} + ${bytes}`,
      streamCount: sql`${streamTokens.streamCount} + 1`,
      lastUsedAt: new Date(),
    })
    .where(eq(streamTokens.id, tokenId));
}

const HOUR_MS = 60 * 60 * 1000;

/** Tokens that expired or were revoked more than TOKEN_CLEANUP_GRACE_HOURS ago. */
export async function deleteDeadTokens(now = new Date()) {
  const before = new Date(now.getTime() - config.TOKEN_CLEANUP_GRACE_HOURS * HOUR_MS);
  const removed = await db
    .delete(streamTokens)
    .where(or(lt(streamTokens.expiresAt, before), lt(streamTokens.revokedAt, before)))
    .returning({ id: streamTokens.id });
  return removed.length;
}
