import { hash, verify } from "@node-rs/argon2";
import { and, eq, inArray, isNull, lt } from "drizzle-orm";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { sessions, users, type User } from "./tables";
import { forgetAllSessions } from "./recent-sessions.server";

export type PublicUser = Pick<User, "id" | "email" | "tier" | "role" | "createdAt">;

export const publicUserColumns = {
  id: users.id,
  email: users.email,
  tier: users.tier,
  role: users.role,
  createdAt: users.createdAt,
};

function normaliseEmail(email: string) {
  return email.trim().toLowerCase();
}

function roleFor(email: string): User["role"] {
  return config.ADMIN_EMAILS.includes(email) ? "admin" : "user";
}

export class EmailTakenError extends Error {
  constructor() {
    super("An account with this email already exists.");
    this.name = "EmailTakenError";
  }
}

/**
 * A new account; signing up from a guest session turns that guest into the
 * account, so what the guest analysed and downloaded stays theirs.
 */
export async function createUser({ email, password, guestId }: { email: string; password: string; guestId?: string }): Promise<PublicUser> {
  const normalised = normaliseEmail(email);
  const passwordHash = await hash(password);
  const account = { email: normalised, passwordHash, role: roleFor(normalised) };
  const [taken] = await db.select({ id: users.id }).from(users).where(eq(users.email, normalised)).limit(1);
  if (taken) throw new EmailTakenError();
  if (guestId) {
    const [user] = await db
      .update(users)
      .set({ ...account, tier: "free" })
      .where(and(eq(users.id, guestId), eq(users.tier, "guest")))
      .returning(publicUserColumns)
      .catch(rethrowEmailTaken);
    if (user) {
      // The guest's session becomes worthless: whoever else holds that cookie (a shared machine,
      // a planted cookie) must not hold the account. The sign-up starts a fresh session.
      await db
        .update(sessions)
        .set({ revokedAt: new Date() })
        .where(and(eq(sessions.userId, guestId), isNull(sessions.revokedAt)));
      forgetAllSessions();
      return user;
    }
  }
  const [user] = await db.insert(users).values(account).onConflictDoNothing({ target: users.email }).returning(publicUserColumns);
  if (!user) throw new EmailTakenError();
  return user;
}

/** Two sign-ups with one email at the same moment: the unique constraint decides, the loser hears "taken". */
function rethrowEmailTaken(err: unknown): never {
  if ((err as { code?: string }).code === "23505") throw new EmailTakenError();
  throw err;
}

/** A visitor without an account: no email, no password, the guest tier's limits. */
export async function createGuest(): Promise<PublicUser> {
  const [user] = await db.insert(users).values({ tier: "guest" }).returning(publicUserColumns);
  return user;
}

/** Guests (with what they analysed, their links and sessions) are kept GUEST_RETENTION_DAYS; returns how many went. */
export async function deleteOldGuests(now = new Date()) {
  const before = new Date(now.getTime() - config.GUEST_RETENTION_DAYS * 86_400_000);
  const removed = await db
    .delete(users)
    .where(and(eq(users.tier, "guest"), lt(users.createdAt, before)))
    .returning({ id: users.id });
  return removed.length;
}

/** Returns the user when the password matches, null otherwise (same cost either way). */
export async function verifyLogin({ email, password }: { email: string; password: string }) {
  const normalised = normaliseEmail(email);
  const [row] = await db
    .select({ ...publicUserColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, normalised))
    .limit(1);
  if (!row?.passwordHash) {
    // Hash anyway so response time does not reveal which emails exist.
    await hash(password);
    return null;
  }
  if (!(await verify(row.passwordHash, password))) return null;
  const { passwordHash: _, ...user } = row;
  // ADMIN_EMAILS is the source of truth for admins, also for accounts made before it changed.
  const role = roleFor(normalised);
  if (role !== user.role) {
    await db.update(users).set({ role }).where(eq(users.id, user.id));
    user.role = role;
  }
  return user;
}

/** Admins change plans by email; null when no account has it. */
export async function setUserTier({ email, tier }: { email: string; tier: User["tier"] }): Promise<PublicUser | null> {
  const [user] = await db
    .update(users)
    .set({ tier })
    .where(eq(users.email, normaliseEmail(email)))
    .returning(publicUserColumns);
  forgetAllSessions();
  return user ?? null;
}

/** Who is who on the dashboard: an account's email, or "guest". */
export async function emailsByIds(ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, ids));
  return new Map(rows.map((r) => [r.id, r.email ?? "guest"]));
}
