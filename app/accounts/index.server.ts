/**
 * Accounts: who the visitor is. Users and their tiers, server-side sessions,
 * sign-up and sign-in (with limits a stranger cannot turn against a user),
 * API keys for scripts, and the guards pages and the API use.
 */
export { type ApiKeySummary, createApiKey, listApiKeys, revokeApiKey } from "./api-keys.server";
export { handleAuthSubmission } from "./auth.server";
export { requireApiAdmin, requireApiUser, requireSessionApiUser } from "./guards.server";
export {
  createUserSession,
  deleteStaleSessions,
  getUser,
  getUserFromCookie,
  isSecureRequest,
  logout,
  redirectIfSignedIn,
  requireAdmin,
  requireUser,
  startGuestSession,
} from "./session.server";
export { deleteOldGuests, emailsByIds, type PublicUser, setUserTier } from "./users.server";
export type { User } from "./tables";
