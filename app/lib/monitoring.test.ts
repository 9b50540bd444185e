import { describe, expect, it } from "vitest";
import { crossedThresholds, pointBetween, ratio, seriesFromSamples, windowErrorRate, type MetricSampleData, type MetricsSnapshot } from "./monitoring";

const MB = 1024 * 1024;

function sample(overrides: { bytes?: number; completed?: number; failed?: number; waiting?: number; rss?: number[] } = {}): MetricSampleData {
  return {
    processes: (overrides.rss ?? [100 * MB, 80 * MB]).map((rssBytes, i) => ({
      service: i === 0 ? "web" : "worker",
      instance: `host:${i + 1}`,
      rssBytes,
      cpuPercent: 1,
      eventLoopLagMs: 2,
    })),
    streams: { active: 1, completed: overrides.completed ?? 0, aborted: 0, failed: overrides.failed ?? 0, bytes: overrides.bytes ?? 0 },
    queue: { waiting: overrides.waiting ?? 0, active: 0, completed: 0, failed: 0 },
    cache: { hits: 0, misses: 0 },
  };
}

const limits = { memoryWarnBytes: 512 * MB, errorRateWarn: 0.25, queueBacklogWarn: 100, ytDlpMaxAgeDays: 90 };

describe("ratio", () => {
  it("divides, or says there is nothing to divide", () => {
    expect(ratio(1, 4)).toBe(0.25);
    expect(ratio(0, 0)).toBeNull();
  });
});

describe("seriesFromSamples", () => {
  it("turns the bytes counter into throughput between samples, and sums memory per service", () => {
    const points = seriesFromSamples([
      { at: "2026-01-01T00:00:00.000Z", data: sample({ bytes: 1000 }) },
      { at: "2026-01-01T00:00:05.000Z", data: sample({ bytes: 6000, rss: [100 * MB, 50 * MB, 30 * MB] }) },
    ]);
    expect(points).toEqual([
      { at: "2026-01-01T00:00:00.000Z", throughputBps: 0, webRssMb: 100, workerRssMb: 80, queueWaiting: 0, activeStreams: 1 },
      { at: "2026-01-01T00:00:05.000Z", throughputBps: 1000, webRssMb: 100, workerRssMb: 80, queueWaiting: 0, activeStreams: 1 },
    ]);
  });

  it("keeps a service's memory when a sample has no report from it, instead of dropping to 0", () => {
    const points = seriesFromSamples([
      { at: "2026-01-01T00:00:00.000Z", data: sample() },
      { at: "2026-01-01T00:00:05.000Z", data: { ...sample(), processes: [] } },
    ]);
    expect(points[1]).toMatchObject({ webRssMb: 100, workerRssMb: 80 });
  });

  it("treats a counter that went back (a Redis flush) as a fresh start, never a negative rate", () => {
    const [, point] = seriesFromSamples([
      { at: "2026-01-01T00:00:00.000Z", data: sample({ bytes: 10_000 }) },
      { at: "2026-01-01T00:00:10.000Z", data: sample({ bytes: 500 }) },
    ]);
    expect(point.throughputBps).toBe(50);
  });
});

describe("windowErrorRate", () => {
  it("is the share of downloads that failed in the window", () => {
    expect(windowErrorRate(sample({ completed: 10, failed: 1 }).streams, sample({ completed: 16, failed: 3 }).streams)).toBe(0.25);
  });

  it("says nothing below the minimum of finished downloads", () => {
    expect(windowErrorRate(sample().streams, sample({ completed: 2, failed: 2 }).streams)).toBeNull();
  });
});

describe("crossedThresholds", () => {
  it("is quiet when all is well", () => {
    expect(crossedThresholds(sample(), sample(), limits)).toEqual([]);
  });

  it("names the heaviest process above the memory limit", () => {
    const [alert] = crossedThresholds(sample({ rss: [100 * MB, 600 * MB] }), null, limits);
    expect(alert).toMatchObject({ key: "memory", value: 600 * MB, threshold: 512 * MB });
    expect(alert.message).toBe("The worker process host:2 uses 600 MB (warning above 512 MB).");
  });

  it("warns of failing downloads over the window and of a queue backlog", () => {
    const alerts = crossedThresholds(sample({ completed: 10, failed: 5, waiting: 101 }), sample(), limits);
    expect(alerts.map((a) => a.key)).toEqual(["error_rate", "queue_backlog"]);
    expect(alerts[0].message).toBe("33 % of recent downloads failed (warning above 25 %).");
    expect(alerts[1].message).toBe("101 analyses are waiting for a worker (warning above 100).");
  });

  it("warns of a yt-dlp release older than the limit, and says nothing when its age is unknown", () => {
    const old = { ...sample(), ytDlp: { version: "2023.03.04", ageDays: 91 } };
    const [alert] = crossedThresholds(old, null, limits);
    expect(alert).toMatchObject({ key: "ytdlp_age", subject: "2023.03.04", value: 91, threshold: 90 });
    expect(alert.message).toBe("yt-dlp 2023.03.04 is 91 days old (warning above 90): run npm run ytdlp:update.");
    expect(crossedThresholds({ ...sample(), ytDlp: { version: "2023.03.04", ageDays: 90 } }, null, limits)).toEqual([]);
    expect(crossedThresholds({ ...sample(), ytDlp: { version: "nightly", ageDays: null } }, null, limits)).toEqual([]);
  });

  it("needs a window start to judge the error rate", () => {
    expect(crossedThresholds(sample({ completed: 0, failed: 50 }), null, limits)).toEqual([]);
  });
});

describe("pointBetween", () => {
  const snapshot = (at: string, bytesServed: number, inFlightBytes: number) =>
    ({
      generatedAt: at,
      processes: [],
      streams: {
        active: 1,
        inFlightBytes,
        speedBps: 0,
        total: 0,
        completed: 0,
        aborted: 0,
        interrupted: 0,
        failed: 0,
        bytesServed,
        successRate: null,
        errorRate: null,
        errorsByReason: {},
      },
      analysis: {
        latencyMs: { p50: null, p95: null },
        processingMs: { p50: null, p95: null },
        completedLastHour: 0,
        failedLastHour: 0,
        cache: { hits: 0, misses: 0, hitRate: null },
      },
      tokens: { created: 0, refused: 0, refusedByReason: {} },
      queues: { analysis: { waiting: 3, active: 0, completedPerMinute: 0, failedPerMinute: 0, completedLastHour: 0, failedLastHour: 0 } },
    }) satisfies MetricsSnapshot;

  it("counts running downloads' bytes, so throughput shows before they end", () => {
    const point = pointBetween(snapshot("2026-01-01T00:00:00.000Z", 0, 0), snapshot("2026-01-01T00:00:02.000Z", 0, 4000));
    expect(point).toMatchObject({ throughputBps: 2000, queueWaiting: 3, activeStreams: 1 });
  });

  it("starts at zero without a previous snapshot", () => {
    expect(pointBetween(null, snapshot("2026-01-01T00:00:00.000Z", 100, 0)).throughputBps).toBe(0);
  });
});
