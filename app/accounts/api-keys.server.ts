import { createHash, randomBytes } from "node:crypto";
import { and, asc, eq, sql } from "drizzle-orm";
import { z } from "zod";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { AppError, logger } from "~/platform/index.server";
import { apiKeys, users } from "./tables";
import { publicUserColumns, type PublicUser } from "./users.server";

/** Keys start with this, so secret scanners and people recognise them. */
const KEY_PREFIX = "tvn_";
/** How many characters of a key (after the prefix) are kept in clear, to tell keys apart. */
const SHOWN_CHARACTERS = 6;
/** Last use is written at most this often per key: a busy script costs no write per request. */
const LAST_USED_RESOLUTION_MS = 60_000;

/** SHA-256 is the right cost here: the key is 256 random bits, there is nothing to guess (ADR "api-keys"). */
const hashKey = (key: string) => createHash("sha256").update(key).digest("hex");

export type ApiKeySummary = { id: string; name: string; prefix: string; createdAt: Date; lastUsedAt: Date | null };

const summaryColumns = { id: apiKeys.id, name: apiKeys.name, prefix: apiKeys.prefix, createdAt: apiKeys.createdAt, lastUsedAt: apiKeys.lastUsedAt };

/** Makes a key for the user; the plaintext is returned this once and never stored. */
export async function createApiKey({ user, name }: { user: PublicUser; name: string }): Promise<ApiKeySummary & { key: string }> {
  // A guest has no account to hold keys: what it does is tied to a browser session.
  if (user.tier === "guest") throw new AppError("forbidden", "guest_api_key", "Sign up to make API keys.");
  const userId = user.id;
  const key = `${KEY_PREFIX}${randomBytes(32).toString("base64url")}`;
  const created = await db.transaction(async (tx) => {
    // One creation at a time per user: the count and the insert are one atomic step.
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${"api-keys:" + userId}, 0))`);
    const [{ held }] = await tx
      .select({ held: sql<number>`count(*)::int` })
      .from(apiKeys)
      .where(eq(apiKeys.userId, userId));
    if (held >= config.MAX_API_KEYS_PER_USER) {
      throw new AppError("limited", "too_many_api_keys", `You already have ${config.MAX_API_KEYS_PER_USER} API keys. Revoke one first.`, {
        headers: { "RateLimit-Limit": String(config.MAX_API_KEYS_PER_USER), "RateLimit-Remaining": "0" },
      });
    }
    const [row] = await tx
      .insert(apiKeys)
      .values({ userId, name, keyHash: hashKey(key), prefix: key.slice(0, KEY_PREFIX.length + SHOWN_CHARACTERS) })
      .returning(summaryColumns);
    return row;
  });
  return { ...created, key };
}

export function listApiKeys(userId: string): Promise<ApiKeySummary[]> {
  return db.select(summaryColumns).from(apiKeys).where(eq(apiKeys.userId, userId)).orderBy(asc(apiKeys.createdAt));
}

/** Deletes one of the user's keys; someone else's key is "not found", as if it did not exist. */
export async function revokeApiKey({ userId, keyId }: { userId: string; keyId: string }): Promise<void> {
  const deleted = z.string().uuid().safeParse(keyId).success
    ? await db
        .delete(apiKeys)
        .where(and(eq(apiKeys.id, keyId), eq(apiKeys.userId, userId)))
        .returning({ id: apiKeys.id })
    : [];
  if (!deleted.length) throw new AppError("not_found", "api_key_not_found", "You have no API key with this id.");
}

/** The owner of a key, or null for an unknown or revoked key. One indexed read per request. */
export async function userForApiKey(key: string): Promise<PublicUser | null> {
  if (!key.startsWith(KEY_PREFIX)) return null;
  const [row] = await db
    .select({ ...publicUserColumns, keyId: apiKeys.id, lastUsedAt: apiKeys.lastUsedAt })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(eq(apiKeys.keyHash, hashKey(key)))
    .limit(1);
  if (!row) return null;
  const { keyId, lastUsedAt, ...user } = row;
  if (!lastUsedAt || Date.now() - lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS) {
    // Not awaited: the request does not wait for bookkeeping. The condition keeps
    // concurrent requests (other processes too) from writing the same minute twice.
    db.update(apiKeys)
      .set({ lastUsedAt: new Date() })
      .where(
        and(
          eq(apiKeys.id, keyId),
          sql`(${apiKeys.lastUsedAt} is null or ${apiKeys.lastUsedAt} < now() - make_interval(secs => ${LAST_USED_RESOLUTION_MS / 1000}))`,
        ),
      )
      .catch((err: unknown) => logger.warn({ err }, "could not record an API key's last use"));
  }
  return user;
}
