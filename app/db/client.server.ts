import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { config } from "~/config.server";
import * as schema from "./schema";

/** One pool per process (each process loads this module once). */
export const sql = postgres(config.DATABASE_URL, {
  max: config.DATABASE_POOL_MAX,
  idle_timeout: 30,
  // A database outage must answer 503 within seconds, not hang requests.
  connect_timeout: 3,
  // Notices (e.g. "relation already exists, skipping" from migrations) are not errors.
  onnotice: () => {},
});

export const db = drizzle(sql, { schema });

export type Database = typeof db;

export async function closeDatabase() {
  await sql.end({ timeout: 5 });
}
