import { startProcess } from "~/platform/process.server";

await startProcess("web", () => import("./boot"));
