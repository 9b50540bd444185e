import { Queue, type DefaultJobOptions } from "bullmq";
import { logger } from "./logger.server";
import { redis } from "./redis.server";

/**
 * A BullMQ producer on the shared fail-fast connection. Each capability
 * declares its own queue (name, payload schema, job options) with this.
 */
export function createProducer<Data, Name extends string>(name: string, defaultJobOptions: DefaultJobOptions) {
  const queue = new Queue<Data, unknown, Name>(name, { connection: redis, defaultJobOptions });
  queue.on("error", (err) => logger.warn({ err, queue: name }, "queue error"));
  return queue;
}
