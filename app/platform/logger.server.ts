import pino from "pino";
import { config } from "~/config.server";

export const logger = pino({
  level: config.LOG_LEVEL,
  base: { service: process.env.TVN_PROCESS ?? "web", pid: process.pid },
  redact: ["req.headers.cookie", "req.headers.authorization", "password", "*.password"],
});
