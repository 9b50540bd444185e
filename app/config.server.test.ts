import { describe, expect, it } from "vitest";
import { ConfigError, parseConfig, publicConfig } from "./config.server";

const base = { DATABASE_URL: "postgres://u:p@127.0.0.1:5555/db" };

function problemsOf(env: Record<string, string>) {
  try {
    parseConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error("expected a ConfigError");
}

describe("parseConfig", () => {
  it("applies the documented defaults", () => {
    const config = parseConfig(base);
    expect(config).toMatchObject({
      PORT: 3000,
      STREAM_TOKEN_EXPIRES_MINUTES: 30,
      MAX_CONCURRENT_STREAMS: 3,
      MAX_TOKENS_PER_USER: 5,
      MAX_TOKENS_PER_HOUR: 20,
      MAX_API_KEYS_PER_USER: 10,
      STREAM_BUFFER_SIZE: 65536,
      METRICS_RETENTION_HOURS: 24,
      FREE_TIER_DAILY: 10,
      PRO_TIER_DAILY: 100,
      REDIS_HOST: "127.0.0.1",
      REDIS_PORT: 6379,
      REDIS_DB: 0,
      LOG_LEVEL: "info",
      trustProxy: false,
    });
  });

  it("names the variable when a value is bad", () => {
    expect(problemsOf({ ...base, PORT: "eighty" })[0]).toMatch(/^PORT: /);
    expect(problemsOf({ ...base, MAX_CONCURRENT_STREAMS: "0" })[0]).toMatch(/^MAX_CONCURRENT_STREAMS: /);
    expect(problemsOf({ ...base, LOG_LEVEL: "loud" })[0]).toMatch(/^LOG_LEVEL: /);
    expect(problemsOf({})[0]).toMatch(/^DATABASE_URL: /);
  });

  it("refuses default secrets in production, naming each", () => {
    const problems = problemsOf({ ...base, NODE_ENV: "production" });
    expect(problems.join("\n")).toMatch(/SESSION_SECRET/);
    expect(problems.join("\n")).toMatch(/STREAM_TOKEN_SECRET/);
  });

  it("accepts rotated secrets as a comma-separated list, newest first", () => {
    const config = parseConfig({
      ...base,
      NODE_ENV: "production",
      SESSION_SECRET: "new-secret-0123456789abcdef, old-secret-0123456789abcdef",
      STREAM_TOKEN_SECRET: "token-secret-0123456789abcdef",
    });
    expect(config.SESSION_SECRET).toEqual(["new-secret-0123456789abcdef", "old-secret-0123456789abcdef"]);
  });

  it("rejects short secrets", () => {
    expect(problemsOf({ ...base, SESSION_SECRET: "short" })[0]).toMatch(/SESSION_SECRET/);
  });

  it("reads ADMIN_EMAILS as a lower-cased list and TRUST_PROXY in Express' forms", () => {
    const config = parseConfig({ ...base, ADMIN_EMAILS: " Boss@Example.com ,ops@example.com", TRUST_PROXY: "1" });
    expect(config.ADMIN_EMAILS).toEqual(["boss@example.com", "ops@example.com"]);
    expect(config.trustProxy).toBe(1);
    expect(parseConfig({ ...base, TRUST_PROXY: "loopback, 10.0.0.0/8" }).trustProxy).toBe("loopback, 10.0.0.0/8");
    expect(parseConfig({ ...base, TRUST_PROXY: "true" }).trustProxy).toBe(true);
  });

  it("shows operators every setting but the secrets", () => {
    const shown = publicConfig(
      parseConfig({
        ...base,
        REDIS_URL: "redis://:hunter2hunter2@10.0.0.5:6380/1",
        SESSION_SECRET: "a-session-secret-of-some-length",
        METRICS_TOKEN: "a-metrics-token-of-some-length",
        ALERT_WEBHOOK_URL: "https://hooks.example.com/services/T000/B000/XXXXSECRET",
      }),
    );
    const text = JSON.stringify(shown);
    for (const secret of ["hunter2hunter2", "a-session-secret", "a-metrics-token", "XXXXSECRET", ":p@"]) expect(text).not.toContain(secret);
    expect(shown).toMatchObject({
      MAX_CONCURRENT_STREAMS: 3,
      SESSION_SECRET: "[redacted]",
      STREAM_TOKEN_SECRET: "[redacted]",
      METRICS_TOKEN: "[redacted]",
      REDIS_URL: "redis://:redacted@10.0.0.5:6380/1",
      DATABASE_URL: "postgres://u:redacted@127.0.0.1:5555/db",
      ALERT_WEBHOOK_URL: "https://hooks.example.com/…",
    });
  });
});
