import { hash, verify } from "@node-rs/argon2";
import { eq, inArray } from "drizzle-orm";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { users, type User } from "./tables";

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

export async function createUser({ email, password }: { email: string; password: string }): Promise<PublicUser> {
  const normalised = normaliseEmail(email);
  const passwordHash = await hash(password);
  const [user] = await db
    .insert(users)
    .values({ email: normalised, passwordHash, role: roleFor(normalised) })
    .onConflictDoNothing({ target: users.email })
    .returning(publicUserColumns);
  if (!user) throw new EmailTakenError();
  return user;
}

/** Returns the user when the password matches, null otherwise (same cost either way). */
export async function verifyLogin({ email, password }: { email: string; password: string }) {
  const normalised = normaliseEmail(email);
  const [row] = await db
    .select({ ...publicUserColumns, passwordHash: users.passwordHash })
    .from(users)
    .where(eq(users.email, normalised))
    .limit(1);
  if (!row) {
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
  return user ?? null;
}

export async function emailsByIds(ids: string[]): Promise<Map<string, string>> {
  if (!ids.length) return new Map();
  const rows = await db.select({ id: users.id, email: users.email }).from(users).where(inArray(users.id, ids));
  return new Map(rows.map((r) => [r.id, r.email]));
}
