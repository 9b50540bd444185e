/**
 * Monitoring: how the platform is doing, for operators. Health, metrics
 * (JSON and Prometheus, every process merged), queue reports, the live
 * dashboard and its admin actions, alerts, and the maintenance jobs the
 * workers run. It reads every other capability through its face; none reads it.
 */
export { runAdminAction, dashboardData, dashboardLive } from "./dashboard.server";
export { checkHealth, checkReadiness } from "./health.server";
export { runAllCleanups, runMaintenanceJob } from "./maintenance.server";
export { MAINTENANCE_QUEUE, maintenanceJobs, maintenanceQueue, type MaintenanceJobName } from "./maintenance-queue.server";
export { startProcessStatsPublisher } from "./process-stats.server";
export { metricsResponse, queueReports, statusReport } from "./reports.server";
