import { config } from "~/config.server";
import { consume, createLimiter } from "~/platform/index.server";

const apiPerIp = createLimiter({ prefix: "api-ip", points: config.API_RATE_LIMIT_PER_MINUTE, durationSeconds: 60 });

/** One budget per client address over the whole streaming API, downloads included. */
export function consumeApiRequest(ip: string) {
  return consume(apiPerIp, ip);
}
