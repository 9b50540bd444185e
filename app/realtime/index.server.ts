/**
 * Realtime: socket.io on the web server. Sockets authenticate with the
 * session cookie and join their user's room (and the admins' room); analysis
 * progress and the dashboard's live figures are relayed to them.
 */
export { relayAnalysisEvents } from "./analysis-events.server";
export { startDashboardFeed } from "./dashboard-feed.server";
export { attachSocketServer, type SocketServer } from "./socket.server";
