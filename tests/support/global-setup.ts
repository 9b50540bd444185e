/**
 * Starts the private Postgres and Redis every integration and browser test
 * uses (or takes TEST_DATABASE_URL / TEST_REDIS_URL when given), applies the
 * migrations, and exposes the URLs to test files through process.env, which
 * the test workers inherit.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { randomBytes } from "node:crypto";
import { runMigrations } from "../../app/db/migrate.server";
import { startPostgres, startRedis, type RunningService } from "../../scripts/lib/services";

export default async function setup() {
  const started: RunningService[] = [];
  const dir = mkdtempSync(path.join(os.tmpdir(), "tvn-test-"));
  // mkdtemp makes it 0700; as root, Postgres runs as the postgres user and must enter it.
  chmodSync(dir, 0o755);
  let databaseUrl = process.env.TEST_DATABASE_URL;
  let redisUrl = process.env.TEST_REDIS_URL;
  try {
    const privateInstance = (name: string) => ({
      dataDir: path.join(dir, name),
      logFile: path.join(dir, `${name}.log`),
      password: randomBytes(16).toString("hex"),
      ephemeral: true,
    });
    if (!databaseUrl) {
      const pg = await startPostgres(privateInstance("postgres"));
      started.push(pg);
      databaseUrl = pg.url;
    }
    if (!redisUrl) {
      const redis = await startRedis(privateInstance("redis"));
      started.push(redis);
      redisUrl = redis.url;
    }
    await runMigrations(databaseUrl);
  } catch (err) {
    for (const service of started.reverse()) await service.stop();
    throw err;
  }

  Object.assign(process.env, {
    NODE_ENV: "test",
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? "warn",
    // Every test client comes from 127.0.0.1: the per-IP sign-in limit is
    // relaxed here, explicitly; the limit tests set their own low values.
    AUTH_RATE_LIMIT_PER_IP: "100000",
    API_RATE_LIMIT_PER_MINUTE: "100000",
    TVN_TEST_SERVICES_DIR: dir,
  });

  return async () => {
    for (const service of started.reverse()) await service.stop();
    rmSync(dir, { recursive: true, force: true });
  };
}
