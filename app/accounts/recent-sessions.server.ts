import type { PublicUser } from "./users.server";

/**
 * Each process remembers a session's answer (its user, or that it is not
 * live) for at most REUSE_MS: a browser's bursts (a playlist's links, a page
 * and its data requests) read the database once, and requests arriving
 * together share the one query in flight. What changes here takes effect at
 * once (logging out forgets the session, a change of plan forgets them all);
 * a revocation in another process, an account deleted or a role changed at
 * another sign-in takes effect within REUSE_MS.
 */
const REUSE_MS = 1000;
const recent = new Map<string, { at: number; user: Promise<PublicUser | null> }>();

export function recentSession(sessionId: string, read: (now: Date) => Promise<PublicUser | null>) {
  const now = Date.now();
  const known = recent.get(sessionId);
  if (known && now - known.at < REUSE_MS) return known.user;
  // Entries are kept in the order they were read: the stale ones are at the front.
  for (const [id, entry] of recent) {
    if (now - entry.at < REUSE_MS) break;
    recent.delete(id);
  }
  const user = read(new Date(now));
  recent.delete(sessionId);
  recent.set(sessionId, { at: now, user });
  // A failed query is not an answer: the next request asks again.
  user.catch(() => {
    if (recent.get(sessionId)?.user === user) recent.delete(sessionId);
  });
  return user;
}

export function forgetSession(sessionId: string) {
  recent.delete(sessionId);
}

/** After a change to accounts themselves (a plan): every session is read again. */
export function forgetAllSessions() {
  recent.clear();
}
