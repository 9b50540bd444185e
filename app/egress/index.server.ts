/**
 * Egress: what the server may fetch. Every URL the server or its child tools
 * reach passes this policy first.
 */
export { assertPublicUrl, BlockedUrlError, isPublicAddress } from "./url-guard.server";
