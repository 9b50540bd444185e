CREATE TYPE "public"."delivery" AS ENUM('direct', 'pipe');--> statement-breakpoint
CREATE TABLE "stream_tokens" (
	"id" uuid PRIMARY KEY NOT NULL,
	"user_id" uuid NOT NULL,
	"token_hash" text NOT NULL,
	"analysis_id" uuid NOT NULL,
	"source_url" text NOT NULL,
	"format_id" text NOT NULL,
	"title" text NOT NULL,
	"ext" text NOT NULL,
	"delivery" "delivery" NOT NULL,
	"client_ip" text,
	"user_agent" text,
	"bind_ip" boolean DEFAULT false NOT NULL,
	"bind_ua" boolean DEFAULT false NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"revoked_at" timestamp with time zone,
	"last_used_at" timestamp with time zone,
	"refresh_count" integer DEFAULT 0 NOT NULL,
	"stream_count" integer DEFAULT 0 NOT NULL,
	"bytes_served" bigint DEFAULT 0 NOT NULL,
	CONSTRAINT "stream_tokens_token_hash_unique" UNIQUE("token_hash")
);
--> statement-breakpoint
ALTER TABLE "stream_tokens" ADD CONSTRAINT "stream_tokens_user_id_users_id_fk" FOREIGN KEY ("user_id") REFERENCES "public"."users"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "stream_tokens" ADD CONSTRAINT "stream_tokens_analysis_id_analysis_requests_id_fk" FOREIGN KEY ("analysis_id") REFERENCES "public"."analysis_requests"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "stream_tokens_user_idx" ON "stream_tokens" USING btree ("user_id","expires_at");--> statement-breakpoint
CREATE INDEX "stream_tokens_expires_idx" ON "stream_tokens" USING btree ("expires_at");