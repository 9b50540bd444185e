import "@remix-run/node";

declare module "@remix-run/node" {
  interface AppLoadContext {
    /** Per-request CSP nonce for inline scripts. */
    cspNonce: string;
    /** Client IP as Express sees it, honouring TRUST_PROXY. */
    clientIp: string;
    /** Id of this request, also in the request log line. */
    requestId: string;
  }
  interface Future {
    v3_singleFetch: true;
  }
}
