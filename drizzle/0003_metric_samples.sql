CREATE TABLE "metric_samples" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"data" jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX "metric_samples_created_idx" ON "metric_samples" USING btree ("created_at");