import { createHash, createHmac, randomUUID } from "node:crypto";
import { and, desc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { decodeProtectedHeader, jwtVerify } from "jose";
import type { PublicUser } from "~/accounts/index.server";
import { getAnalysis } from "~/analysis/index.server";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { downloadFileName } from "~/lib/file-name";
import type { MediaFormat } from "~/lib/formats";
import type { MediaOptions } from "~/lib/media-options";
import { AppError, logger, redis, type SharedWindow } from "~/platform/index.server";
import { giveBackLinkPlace, releaseLinkPlace, takeLinkPlace } from "./limits.server";
import { planMedia } from "./media-plan.server";
import { streamTokens, type StreamToken } from "./tables";

export const STREAM_ABORT_CHANNEL = "stream:abort";

const hashToken = (value: string) => createHash("sha256").update(value).digest("hex");

/**
 * Signing keys: the first secret signs; every listed one verifies (rotation).
 * `kid` picks the key: four characters of the secret's digest, short because
 * the token travels in every stream URL.
 */
const keys = config.STREAM_TOKEN_SECRET.map((secret) => ({
  kid: createHash("sha256").update(secret).digest("base64url").slice(0, 4),
  secret,
  // Imported once: jose would import a raw secret again on every verify.
  key: crypto.subtle.importKey("raw", new TextEncoder().encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["verify"]),
}));

/**
 * Compact tokens (ADR: compact stream links): the JWT carries only the link's
 * id (its UUID's 16 bytes in base64url) under an HS256 signature, about 126
 * characters. Owner, format, expiry, revocation and the IP / User-Agent
 * binding are read from the stream_tokens row, which every download reads
 * anyway to see whether the link was revoked.
 */
const jtiOf = (id: string) => Buffer.from(id.replaceAll("-", ""), "hex").toString("base64url");
const JTI = /^[\w-]{22}$/;
function idOf(jti: unknown) {
  if (typeof jti !== "string" || !JTI.test(jti)) return null;
  const hex = Buffer.from(jti, "base64url").toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const base64url = (value: string) => Buffer.from(value).toString("base64url");
/** The signing key's JWS header, encoded once. */
const signingHeader = base64url(JSON.stringify({ alg: "HS256", kid: keys[0].kid }));

/**
 * An HS256 JWS (what jose verifies) signed with node:crypto's HMAC in the
 * request's own turn: WebCrypto's sign runs as a job on the thread pool and
 * cost more than the signature itself (docs/benchmarks.md, link creation).
 */
function signToken(id: string) {
  const signingInput = `${signingHeader}.${base64url(JSON.stringify({ jti: jtiOf(id) }))}`;
  return `${signingInput}.${createHmac("sha256", keys[0].secret).update(signingInput).digest("base64url")}`;
}

const invalid = (cause?: unknown) => new AppError("unauthenticated", "invalid_token", "This download link is not valid.", { cause });

/** Compact tokens are ~126 characters; anything much longer is not one of ours. */
const MAX_TOKEN_LENGTH = 512;

/**
 * Checks a token in the order the stream route needs: signature and shape
 * (401), known and not revoked (401/410), not expired (410), then the
 * optional IP / user-agent binding (403). Returns the stored row.
 */
export async function verifyStreamToken(token: string, client: { ip: string; userAgent: string | null }): Promise<StreamToken> {
  if (token.length > MAX_TOKEN_LENGTH) throw invalid();
  // What is not even shaped like one of our tokens costs no query.
  const key = signingKeyOf(token);
  // The signature (a job on the thread pool) and the row's lookup run side by side: a download's
  // first byte waits for the slower, not for both. Nothing is read from the row unless the
  // signature holds.
  const [verified, found] = await Promise.allSettled([linkIdOf(token, key), linkByHash.execute({ tokenHash: hashToken(token) })]);
  if (verified.status === "rejected") throw verified.reason instanceof AppError ? verified.reason : invalid(verified.reason);
  if (found.status === "rejected") throw found.reason;
  const id = verified.value;
  const [row] = found.value;
  if (!row || row.id !== id) throw invalid();
  if (row.revokedAt) throw new AppError("gone", "token_revoked", "This download link was revoked.");
  if (row.expiresAt.getTime() <= Date.now()) throw new AppError("gone", "token_expired", "This download link has expired. Create a new one.");
  if (row.bindIp && row.clientIp !== client.ip)
    throw new AppError("forbidden", "token_bound_elsewhere", "This download link belongs to another network address.");
  if (row.bindUa && (row.userAgent ?? "") !== storedUserAgent(client.userAgent))
    throw new AppError("forbidden", "token_bound_elsewhere", "This download link belongs to another browser.");
  return row;
}

/** The key a token names (its `kid`), or `invalid`. */
function signingKeyOf(token: string) {
  let kid: unknown;
  try {
    kid = decodeProtectedHeader(token).kid;
  } catch (err) {
    throw invalid(err);
  }
  const key = keys.find((k) => k.kid === kid);
  if (!key) throw invalid();
  return key;
}

/** The link id a token was signed for; rejects any token whose signature does not hold. */
async function linkIdOf(token: string, key: (typeof keys)[number]) {
  const id = idOf((await jwtVerify(token, await key.key, { algorithms: ["HS256"] })).payload.jti);
  if (!id) throw invalid();
  return id;
}

/** Every download reads its link: the SQL built once. */
const linkByHash = db
  .select()
  .from(streamTokens)
  .where(eq(streamTokens.tokenHash, sql.placeholder("tokenHash")))
  .limit(1)
  .prepare("link_by_hash");

/** The User-Agent as stored with a link (and compared for STREAM_TOKEN_BIND_UA). */
const storedUserAgent = (userAgent: string | null) => userAgent?.slice(0, 512) ?? "";

type TokenRequest = {
  user: PublicUser;
  requestId: string;
  formatId: string;
  options?: MediaOptions;
  ip: string;
  userAgent: string | null;
  /** A window the caller's route spends with the link limits, in the same round trip (the API's per-address budget). */
  shared?: SharedWindow;
};

export type CreatedToken = { token: string; tokenId: string; streamUrl: string; fileName: string; expiresAt: string };

/** The link handed out: `/api/streaming/stream/<token>/<file name>`, so tools that name files from the URL get it right. */
function tokenResponse(token: string, row: { id: string; title: string; ext: string; expiresAt: Date }): CreatedToken {
  const fileName = downloadFileName(row.title, row.ext);
  return {
    token,
    tokenId: row.id,
    streamUrl: `/api/streaming/stream/${token}/${encodeURIComponent(fileName)}`,
    fileName,
    expiresAt: row.expiresAt.toISOString(),
  };
}

const expiryFromNow = () => new Date(Date.now() + config.STREAM_TOKEN_EXPIRES_MINUTES * 60_000);

/** A new link's row, every value a placeholder: the insert's SQL is built once. */
const insertLink = db
  .insert(streamTokens)
  .values({
    id: sql.placeholder("id"),
    userId: sql.placeholder("userId"),
    analysisId: sql.placeholder("analysisId"),
    sourceUrl: sql.placeholder("sourceUrl"),
    formatId: sql.placeholder("formatId"),
    title: sql.placeholder("title"),
    ext: sql.placeholder("ext"),
    delivery: sql.placeholder("delivery"),
    options: sql.placeholder("options"),
    clientIp: sql.placeholder("clientIp"),
    userAgent: sql.placeholder("userAgent"),
    bindIp: sql.placeholder("bindIp"),
    bindUa: sql.placeholder("bindUa"),
    expiresAt: sql.placeholder("expiresAt"),
    tokenHash: sql.placeholder("tokenHash"),
  })
  .prepare("insert_stream_token");

/**
 * A download link for one format of a finished analysis: the analysis read,
 * every limit checked and taken in one Redis round trip (limits.server.ts),
 * the token signed and hashed once, one insert. An insert that fails gives
 * the limits their place back. `link` is what the stored row says the link
 * sends, so callers need not read it back.
 */
export async function createStreamToken({
  user,
  requestId,
  formatId,
  options,
  ip,
  userAgent,
  shared,
}: TokenRequest): Promise<{ created: CreatedToken; format: MediaFormat | null; link: Pick<StreamToken, "delivery" | "options" | "ext"> }> {
  const analysis = await getAnalysis({ requestId, userId: user.id });
  if (!analysis) throw new AppError("not_found", "not_found", "No analysis with this id.");
  if (analysis.status !== "completed" || !analysis.result) throw new AppError("conflict", "analysis_not_ready", "This analysis has not finished yet.");
  // What the link sends: a format, or a playlist ZIP, a clip, subtitles (each checked, or a 400).
  const plan = planMedia(analysis.result, analysis.sources ?? {}, formatId, options);
  const format = analysis.result.formats.find((f) => f.id === formatId) ?? null;

  const row = {
    id: randomUUID(),
    userId: user.id,
    analysisId: analysis.id,
    sourceUrl: analysis.url,
    formatId: plan.formatId,
    title: plan.title,
    ext: plan.ext,
    delivery: plan.delivery,
    options: plan.options,
    clientIp: ip,
    userAgent: userAgent === null ? null : storedUserAgent(userAgent),
    bindIp: config.STREAM_TOKEN_BIND_IP,
    bindUa: config.STREAM_TOKEN_BIND_UA,
    expiresAt: expiryFromNow(),
  };
  // A playlist ZIP counts each entry as a download.
  await takeLinkPlace(user, ip, row, plan.downloads, shared);
  try {
    const token = signToken(row.id);
    await insertLink.execute({ ...row, tokenHash: hashToken(token) });
    return { created: tokenResponse(token, row), format, link: { delivery: row.delivery, options: row.options, ext: row.ext } };
  } catch (err) {
    await giveBackLinkPlace(user, ip, row.id, plan.downloads);
    throw err;
  }
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
  await releaseLinkPlace(row.userId, row.id);
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
  const row = { ...old, id: randomUUID(), refreshCount: old.refreshCount + 1, expiresAt: expiryFromNow() };
  const token = signToken(row.id);
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
  await releaseLinkPlace(old.userId, old.id, row);
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
