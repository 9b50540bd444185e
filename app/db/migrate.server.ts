import path from "node:path";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

/** Any 64-bit number unique to this app: serialises migrations across processes. */
const MIGRATION_LOCK_ID = 0x7461_6976_6964;

/**
 * Applies the SQL migrations in `drizzle/` on a short-lived connection of its
 * own, holding an advisory lock so several web processes starting together
 * never race each other.
 */
export async function runMigrations(databaseUrl: string, migrationsFolder = path.resolve("drizzle")) {
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_ID})`;
    await migrate(drizzle(client), { migrationsFolder });
    await client`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`;
  } finally {
    await client.end({ timeout: 5 });
  }
}
