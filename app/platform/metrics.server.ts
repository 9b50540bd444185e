import os from "node:os";
import { collectDefaultMetrics, Registry } from "prom-client";
import type { ServiceName } from "~/lib/monitoring";

/**
 * This process' own Prometheus registry: prom-client's default metrics plus
 * what capabilities register on it (the analysis duration histogram, …).
 * Monitoring publishes it to Redis so /metrics shows every process.
 */
const service: ServiceName = process.env.TVN_PROCESS === "worker" ? "worker" : "web";

export const processIdentity = {
  service,
  instance: `${os.hostname()}:${process.pid}`,
};

export const processRegistry = new Registry();
processRegistry.setDefaultLabels(processIdentity);
collectDefaultMetrics({ register: processRegistry });
