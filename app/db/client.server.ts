import { remember } from "@epic-web/remember";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { config } from "~/config.server";
import * as schema from "./schema";

/**
 * One pool per process. `remember` keeps it on globalThis, so the Remix build
 * (re-imported on every dev rebuild) and the custom server share it.
 */
export const sql = remember("postgres", () =>
  postgres(config.DATABASE_URL, {
    max: config.DATABASE_POOL_MAX,
    idle_timeout: 30,
    connect_timeout: 10,
    onnotice: () => {},
  }),
);

export const db = remember("drizzle", () => drizzle(sql, { schema }));

export type Database = typeof db;

export async function closeDatabase() {
  await sql.end({ timeout: 5 });
}
