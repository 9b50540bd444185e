import { randomBytes } from "node:crypto";
import { createCookie, createSessionStorage, redirect } from "@remix-run/node";
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import { config } from "~/config.server";
import { db } from "~/db/client.server";
import { redirectWithToast, type Toast } from "~/web/index.server";
import { forgetSession, recentSession } from "./recent-sessions.server";
import { sessions, users } from "./tables";
import { safeRedirect } from "~/lib/safe-redirect";
import { createGuest, publicUserColumns, type PublicUser } from "./users.server";
import { AppError, clientNetwork, consume, createLimiter, limitHeaders, UnavailableError } from "~/platform/index.server";

type SessionData = { userId: string; ip?: string; userAgent?: string };

const maxAge = config.SESSION_MAX_AGE_DAYS * 24 * 60 * 60;

const sessionCookie = createCookie("tvn_session", {
  httpOnly: true,
  sameSite: "lax",
  path: "/",
  maxAge,
  secrets: config.SESSION_SECRET,
});

/** Cookies are `secure` when configured so, or (auto) when the request itself came over https. */
export function isSecureRequest(request: Request) {
  if (config.COOKIE_SECURE === "auto") return new URL(request.url).protocol === "https:";
  return config.COOKIE_SECURE === "true";
}

const storage = createSessionStorage<SessionData>({
  cookie: sessionCookie,
  async createData(data, expires) {
    const id = randomBytes(32).toString("base64url");
    await db.insert(sessions).values({
      id,
      userId: data.userId ?? null,
      data,
      ip: data.ip ?? null,
      userAgent: data.userAgent?.slice(0, 512) ?? null,
      expiresAt: expires ?? new Date(Date.now() + maxAge * 1000),
    });
    return id;
  },
  async readData(id) {
    const [row] = await db
      .select({ data: sessions.data })
      .from(sessions)
      .where(and(eq(sessions.id, id), isNull(sessions.revokedAt), gt(sessions.expiresAt, new Date())))
      .limit(1);
    return row?.data ?? null;
  },
  async updateData(id, data, expires) {
    await db
      .update(sessions)
      .set({ data, ...(expires ? { expiresAt: expires } : {}) })
      .where(eq(sessions.id, id));
  },
  async deleteData(id) {
    await db.update(sessions).set({ revokedAt: new Date() }).where(eq(sessions.id, id));
    // After the update: a read made while it ran may have remembered the session as live.
    forgetSession(id);
  },
});

/** A live session's user, the query every signed-in request runs: its SQL built once. */
const sessionUser = db
  .select(publicUserColumns)
  .from(sessions)
  .innerJoin(users, eq(users.id, sessions.userId))
  .where(and(eq(sessions.id, sql.placeholder("sessionId")), isNull(sessions.revokedAt), gt(sessions.expiresAt, sql.placeholder("now"))))
  .limit(1)
  .prepare("session_user");

/**
 * The signed-in user from a Cookie header: the cookie carries the session id;
 * one query finds a live session and its user (its answer reused for up to a second: recent-sessions.server.ts).
 */
export async function getUserFromCookie(cookieHeader: string | null | undefined): Promise<PublicUser | null> {
  const sessionId: unknown = await sessionCookie.parse(cookieHeader ?? null);
  if (typeof sessionId !== "string" || !sessionId) return null;
  return recentSession(sessionId, async (now) => (await sessionUser.execute({ sessionId, now: now.toISOString() }))[0] ?? null);
}

export function getUser(request: Request): Promise<PublicUser | null> {
  return getUserFromCookie(request.headers.get("Cookie"));
}

function loginRedirect(request: Request) {
  const url = new URL(request.url);
  const redirectTo = `${url.pathname}${url.search}`;
  return redirect(`/login?${new URLSearchParams({ redirectTo })}`);
}

export async function requireUser(request: Request): Promise<PublicUser> {
  const user = await getUser(request);
  if (!user) throw loginRedirect(request);
  return user;
}

export async function requireAdmin(request: Request): Promise<PublicUser> {
  const user = await requireUser(request);
  if (user.role !== "admin") throw new Response("Forbidden", { status: 403 });
  return user;
}

async function commitNewSession(request: Request, userId: string, ip: string) {
  const session = await storage.getSession();
  session.set("userId", userId);
  session.set("ip", ip);
  session.set("userAgent", request.headers.get("User-Agent") ?? undefined);
  const secure = isSecureRequest(request);
  return { cookie: await storage.commitSession(session, { secure }), secure };
}

const guestStarts = createLimiter({ prefix: "guest-starts", points: config.GUEST_STARTS_PER_HOUR, durationSeconds: 3600 });

/**
 * A visitor without an account who starts an analysis becomes a guest: a
 * user row of the guest tier and a session, made only then (looking around
 * costs nothing). Null when guest use is off (GUEST_DAILY=0); limited per
 * client address, so a script cannot mint guests without end.
 */
export async function startGuestSession(request: Request, ip: string): Promise<{ user: PublicUser; cookie: string } | null> {
  if (config.GUEST_DAILY === 0) return null;
  const outcome = await consume(guestStarts, clientNetwork(ip));
  if (!outcome.allowed) {
    if (outcome.reason === "unavailable") throw new UnavailableError("service_unavailable", "Guest use cannot be checked right now. Please try again shortly.");
    throw new AppError("limited", "too_many_guests", "Too many new visitors from your address. Sign up, or try again later.", {
      headers: limitHeaders(outcome),
    });
  }
  const user = await createGuest();
  const { cookie } = await commitNewSession(request, user.id, ip);
  return { user, cookie };
}

/** Starts a fresh server-side session (a new id, never a reused one) and redirects. */
export async function createUserSession({
  request,
  userId,
  ip,
  redirectTo,
  toast,
}: {
  request: Request;
  userId: string;
  ip: string;
  redirectTo: string | null | undefined;
  toast: Toast;
}) {
  const { cookie, secure } = await commitNewSession(request, userId, ip);
  return redirectWithToast(safeRedirect(redirectTo), toast, { secure, headers: [cookie] });
}

export async function logout(request: Request) {
  const session = await storage.getSession(request.headers.get("Cookie"));
  const secure = isSecureRequest(request);
  const cookie = await storage.destroySession(session, { secure });
  return redirectWithToast("/", { kind: "info", key: "toast.signedOut" }, { secure, headers: [cookie] });
}

/** Removes sessions that expired or were revoked; returns how many. */
export async function deleteStaleSessions(now = new Date()) {
  const removed = await db
    .delete(sessions)
    .where(or(lt(sessions.expiresAt, now), lt(sessions.revokedAt, now)))
    .returning({ id: sessions.id });
  return removed.length;
}

/** For the login and sign-up pages: a signed-in visitor goes straight on to where they were headed (a guest stays, to sign up or in). */
export async function redirectIfSignedIn(request: Request) {
  const user = await getUser(request);
  if (user && user.tier !== "guest") {
    throw redirect(safeRedirect(new URL(request.url).searchParams.get("redirectTo")));
  }
  return null;
}
