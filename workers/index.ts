import { startProcess } from "~/platform/process.server";

await startProcess("worker", () => import("./boot"));
