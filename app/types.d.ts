import "@remix-run/node";
import type { EmitToUser } from "~/lib/socket-events";
import type { ApiBudgetTicket } from "~/web/api-limit.server";

declare module "@remix-run/node" {
  interface AppLoadContext {
    /** Per-request CSP nonce for inline scripts. */
    cspNonce: string;
    /** Client IP as Express sees it, honouring TRUST_PROXY. */
    clientIp: string;
    /** Id of this request, also in the request log line. */
    requestId: string;
    /** Sends a socket.io event to every connection of one user. */
    emitToUser: EmitToUser;
    /** Link creation's API budget, left by the middleware for the route's own limit script. */
    apiBudget?: ApiBudgetTicket;
  }
  interface Future {
    v3_singleFetch: true;
  }
}
