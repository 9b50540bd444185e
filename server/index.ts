import { startProcess } from "~/services/process.server";

await startProcess("web", () => import("./boot"));
