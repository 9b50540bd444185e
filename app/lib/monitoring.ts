/**
 * Monitoring shapes shared by the server (snapshot, sampler) and the
 * dashboard in the browser, and the pure arithmetic both sides need.
 */

export type ServiceName = "web" | "worker";

/** What each web and worker process publishes about itself every few seconds. */
export type ProcessStats = {
  service: ServiceName;
  instance: string;
  pid: number;
  hostname: string;
  startedAt: string;
  uptimeSeconds: number;
  rssBytes: number;
  heapUsedBytes: number;
  cpuPercent: number;
  eventLoopLagMs: number;
};

export type QueueThroughput = {
  completedPerMinute: number;
  failedPerMinute: number;
  completedLastHour: number;
  failedLastHour: number;
};

export type QueueReport = {
  name: string;
  waiting: number;
  active: number;
  delayed: number;
  completed: number;
  failed: number;
  paused: boolean;
  workers: number;
  oldestWaitingAgeSeconds: number | null;
} & QueueThroughput;

/** The figures of GET /api/monitoring/metrics (JSON) and the dashboard's first paint. */
export type MetricsSnapshot = {
  generatedAt: string;
  processes: ProcessStats[];
  streams: {
    active: number;
    /** Sent so far by the downloads still running (bytesServed counts finished ones). */
    inFlightBytes: number;
    /** The running downloads' speeds added up. */
    speedBps: number;
    total: number;
    completed: number;
    aborted: number;
    /** Cut off by a server shutdown after the drain grace. */
    interrupted: number;
    failed: number;
    bytesServed: number;
    successRate: number | null;
    errorRate: number | null;
    errorsByReason: Record<string, number>;
  };
  analysis: {
    /** From the request to its result, queue wait included (cache hits excluded). */
    latencyMs: { p50: number | null; p95: number | null };
    /** The worker's part: yt-dlp, ffprobe and storing the result. */
    processingMs: { p50: number | null; p95: number | null };
    completedLastHour: number;
    failedLastHour: number;
    cache: { hits: number; misses: number; hitRate: number | null };
  };
  tokens: { created: number; refused: number; refusedByReason: Record<string, number> };
  queues: Record<string, QueueThroughput & { waiting: number; active: number }>;
};

/** One row of the performance sampler (stored as jsonb). Counters are running totals; `streams.bytes` includes running downloads. */
export type MetricSampleData = {
  processes: Array<Pick<ProcessStats, "service" | "instance" | "rssBytes" | "cpuPercent" | "eventLoopLagMs">>;
  streams: { active: number; completed: number; aborted: number; failed: number; bytes: number };
  queue: { waiting: number; active: number; completed: number; failed: number };
  cache: { hits: number; misses: number };
  /** The yt-dlp the sampling worker would run (absent when it could not be run). */
  ytDlp?: { version: string; ageDays: number | null };
};

export type ActiveStream = {
  streamId: string;
  tokenId: string;
  userId: string;
  email: string | null;
  title: string;
  formatId: string;
  delivery: "direct" | "pipe";
  bytes: number;
  total: number | null;
  speed: number;
  startedAt: string;
};

/** `message` is English (logs, webhooks); the dashboard words it from key, subject, value and threshold. */
export type Alert = {
  key: "memory" | "error_rate" | "queue_backlog" | "ytdlp_age";
  message: string;
  subject: string;
  value: number;
  threshold: number;
  since: string;
};

export type AlertEvent = Alert & { status: "firing" | "resolved"; at: string };

export type RecentFailure = { kind: "analysis" | "stream"; at: string; code: string; message: string; subject: string };

/** One point of the dashboard's charts. */
export type ChartPoint = { at: string; throughputBps: number; webRssMb: number; workerRssMb: number; queueWaiting: number; activeStreams: number };

/** The yt-dlp a process runs: where, which release, how old, and whether older than YTDLP_MAX_AGE_DAYS. */
export type YtDlpInUse = {
  path: string;
  version: string;
  releasedOn: string | null;
  ageDays: number | null;
  maxAgeDays: number;
  stale: boolean;
};

export type DashboardData = {
  snapshot: MetricsSnapshot;
  queues: QueueReport[];
  activeStreams: ActiveStream[];
  series: ChartPoint[];
  recentFailures: RecentFailure[];
  alerts: Alert[];
  /** The latest alerts fired and resolved, newest first. */
  alertEvents: AlertEvent[];
  /** Null when yt-dlp cannot be run. */
  ytDlp: YtDlpInUse | null;
};

export type DashboardLive = Omit<DashboardData, "series">;

/** part / total, or null when there is nothing to divide. */
export function ratio(part: number, total: number): number | null {
  return total > 0 ? part / total : null;
}

const MB = 1024 * 1024;

const rssOf = (sample: MetricSampleData, service: ServiceName) =>
  Math.round(sample.processes.filter((p) => p.service === service).reduce((sum, p) => sum + p.rssBytes, 0) / MB);

/**
 * Chart points from consecutive samples: throughput is the growth of the
 * bytes-served counter over the time between two samples (a counter that went
 * back, after a Redis flush, counts as a fresh start, never as negative).
 */
export function seriesFromSamples(samples: Array<{ at: string; data: MetricSampleData }>): ChartPoint[] {
  const points: ChartPoint[] = [];
  for (let i = 0; i < samples.length; i++) {
    const { at, data } = samples[i];
    const previous = samples[i - 1];
    let throughputBps = 0;
    if (previous) {
      const seconds = (Date.parse(at) - Date.parse(previous.at)) / 1000;
      const grown = data.streams.bytes - previous.data.streams.bytes;
      throughputBps = seconds > 0 ? Math.round((grown >= 0 ? grown : data.streams.bytes) / seconds) : 0;
    }
    // A running service never uses 0 bytes: none reported in this sample (a process
    // starting or between reports) keeps the previous value instead of plunging to 0.
    const last = points.at(-1);
    points.push({
      at,
      throughputBps,
      webRssMb: rssOf(data, "web") || (last?.webRssMb ?? 0),
      workerRssMb: rssOf(data, "worker") || (last?.workerRssMb ?? 0),
      queueWaiting: data.queue.waiting,
      activeStreams: data.streams.active,
    });
  }
  return points;
}

/** Share of downloads that failed between two samples; null below `minimum` finished downloads. */
export function windowErrorRate(from: MetricSampleData["streams"], to: MetricSampleData["streams"], minimum = 5): number | null {
  const failed = Math.max(0, to.failed - from.failed);
  const finished = failed + Math.max(0, to.completed - from.completed);
  return finished >= minimum ? failed / finished : null;
}

export type AlertThresholds = { memoryWarnBytes: number; errorRateWarn: number; queueBacklogWarn: number; ytDlpMaxAgeDays: number };

/** The alerts a sample sets off, given the sample at the start of the alert window. */
export function crossedThresholds(sample: MetricSampleData, windowStart: MetricSampleData | null, limits: AlertThresholds): Array<Omit<Alert, "since">> {
  const alerts: Array<Omit<Alert, "since">> = [];
  const heaviest = [...sample.processes].sort((a, b) => b.rssBytes - a.rssBytes)[0];
  if (heaviest && heaviest.rssBytes > limits.memoryWarnBytes) {
    const mb = (bytes: number) => Math.round(bytes / (1024 * 1024));
    alerts.push({
      key: "memory",
      subject: `${heaviest.service} ${heaviest.instance}`,
      message: `The ${heaviest.service} process ${heaviest.instance} uses ${mb(heaviest.rssBytes)} MB (warning above ${mb(limits.memoryWarnBytes)} MB).`,
      value: heaviest.rssBytes,
      threshold: limits.memoryWarnBytes,
    });
  }
  const errorRate = windowStart ? windowErrorRate(windowStart.streams, sample.streams) : null;
  if (errorRate !== null && errorRate > limits.errorRateWarn) {
    alerts.push({
      key: "error_rate",
      subject: "",
      message: `${Math.round(errorRate * 100)} % of recent downloads failed (warning above ${Math.round(limits.errorRateWarn * 100)} %).`,
      value: errorRate,
      threshold: limits.errorRateWarn,
    });
  }
  if (sample.queue.waiting > limits.queueBacklogWarn) {
    alerts.push({
      key: "queue_backlog",
      subject: "analysis",
      message: `${sample.queue.waiting} analyses are waiting for a worker (warning above ${limits.queueBacklogWarn}).`,
      value: sample.queue.waiting,
      threshold: limits.queueBacklogWarn,
    });
  }
  const ytDlpAge = sample.ytDlp?.ageDays;
  if (sample.ytDlp && ytDlpAge != null && ytDlpAge > limits.ytDlpMaxAgeDays) {
    alerts.push({
      key: "ytdlp_age",
      subject: sample.ytDlp.version,
      message: `yt-dlp ${sample.ytDlp.version} is ${ytDlpAge} days old (warning above ${limits.ytDlpMaxAgeDays}): run npm run ytdlp:update.`,
      value: ytDlpAge,
      threshold: limits.ytDlpMaxAgeDays,
    });
  }
  return alerts;
}

/** What a sample keeps of one process' figures. */
export function sampledProcess({ service, instance, rssBytes, cpuPercent, eventLoopLagMs }: ProcessStats): MetricSampleData["processes"][number] {
  return { service, instance, rssBytes, cpuPercent, eventLoopLagMs };
}

/** The sampler's view of a live snapshot, so live points and stored samples chart alike. */
export function sampleFromSnapshot(snapshot: MetricsSnapshot): MetricSampleData {
  const analysis = snapshot.queues.analysis;
  return {
    processes: snapshot.processes.map(sampledProcess),
    streams: {
      active: snapshot.streams.active,
      completed: snapshot.streams.completed,
      aborted: snapshot.streams.aborted,
      failed: snapshot.streams.failed,
      bytes: snapshot.streams.bytesServed + snapshot.streams.inFlightBytes,
    },
    queue: { waiting: analysis?.waiting ?? 0, active: analysis?.active ?? 0, completed: 0, failed: 0 },
    cache: { hits: snapshot.analysis.cache.hits, misses: snapshot.analysis.cache.misses },
  };
}

/** The chart point a new snapshot adds after the previous one. */
export function pointBetween(previous: MetricsSnapshot | null, next: MetricsSnapshot): ChartPoint {
  const samples = [previous, next].filter((s): s is MetricsSnapshot => s !== null).map((s) => ({ at: s.generatedAt, data: sampleFromSnapshot(s) }));
  return seriesFromSamples(samples).at(-1)!;
}
