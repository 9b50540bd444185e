/** Liveness: the process answers. It touches no dependency, so a database outage never restarts a healthy process. */
export const loader = () => Response.json({ status: "ok" }, { headers: { "Cache-Control": "no-store" } });
