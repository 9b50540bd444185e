import { startProcess } from "~/services/process.server";

await startProcess("worker", () => import("./boot"));
