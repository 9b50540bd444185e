/**
 * Starts a process' real entry module through a dynamic import, so that an
 * invalid configuration (thrown while config.server.ts loads) stops start-up
 * with a readable message naming the variable instead of a stack trace.
 * This module must not import config itself, so entries import it directly,
 * not through the platform face (which loads config).
 */
export async function startProcess(name: "web" | "worker", load: () => Promise<unknown>) {
  process.env.TVN_PROCESS ??= name;
  try {
    await load();
  } catch (err) {
    if (err instanceof Error && err.name === "ConfigError") {
      console.error(`[${name}] ${err.message}`);
      process.exit(1);
    }
    throw err;
  }
}
