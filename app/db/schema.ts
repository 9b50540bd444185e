/**
 * Every table, for drizzle-kit and the Drizzle client. Each capability owns
 * its tables in its own tables.ts (foreign keys may name another's table);
 * this file only gathers them.
 */
export * from "../accounts/tables";
export * from "../analysis/tables";
export * from "../downloads/tables";
export * from "../monitoring/tables";
