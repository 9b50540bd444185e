/**
 * Shared infrastructure every capability builds on: the logger, Redis
 * connections, rate limiters, BullMQ producers, the process' metric registry
 * and the domain error base. It knows no capability.
 */
export { clientNetwork } from "./client-network";
export { AppError, isOutage, UnavailableError, type ErrorKind } from "./errors";
export { consume, createLimiter, limitHeaders, spendWindowLua, windowOf, type LimitOutcome, type SharedWindow } from "./limits.server";
export { logger } from "./logger.server";
export { processIdentity, processRegistry } from "./metrics.server";
export { createProducer } from "./queues.server";
export { spawnTool, spawnToolWithInput } from "./tools.server";
export { closeRedis, createBlockingRedis, redis, redisReady, redisScript } from "./redis.server";
