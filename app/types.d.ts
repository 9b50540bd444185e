import "@remix-run/node";
import type { EmitToUser } from "~/lib/socket-events";

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
  }
  interface Future {
    v3_singleFetch: true;
  }
}
