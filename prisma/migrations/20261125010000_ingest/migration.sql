-- DropForeignKey
ALTER TABLE "sample" DROP CONSTRAINT "sample_series_id_fkey";

-- DropTable
DROP TABLE "sample";

-- CreateTable
CREATE TABLE "ingest_block" (
    "id" BIGSERIAL NOT NULL,
    "min_ts" BIGINT NOT NULL,
    "max_ts" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "ingest_block_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sample_chunk" (
    "series_id" INTEGER NOT NULL,
    "start_ts" BIGINT NOT NULL,
    "end_ts" BIGINT NOT NULL,
    "batch" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,
    "data" BYTEA NOT NULL,

    CONSTRAINT "sample_chunk_pkey" PRIMARY KEY ("series_id","start_ts","batch")
);

-- CreateTable
CREATE TABLE "rollup_1m" (
    "series_id" INTEGER NOT NULL,
    "bucket" BIGINT NOT NULL,
    "first_ts" BIGINT NOT NULL,
    "last_ts" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,
    "sum" DOUBLE PRECISION NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "first" DOUBLE PRECISION NOT NULL,
    "last" DOUBLE PRECISION NOT NULL,
    "increase" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "rollup_1m_pkey" PRIMARY KEY ("series_id","bucket")
);

-- CreateTable
CREATE TABLE "rollup_1h" (
    "series_id" INTEGER NOT NULL,
    "bucket" BIGINT NOT NULL,
    "first_ts" BIGINT NOT NULL,
    "last_ts" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,
    "sum" DOUBLE PRECISION NOT NULL,
    "min" DOUBLE PRECISION NOT NULL,
    "max" DOUBLE PRECISION NOT NULL,
    "first" DOUBLE PRECISION NOT NULL,
    "last" DOUBLE PRECISION NOT NULL,
    "increase" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "rollup_1h_pkey" PRIMARY KEY ("series_id","bucket")
);

-- CreateTable
CREATE TABLE "span" (
    "trace_id" TEXT NOT NULL,
    "span_id" TEXT NOT NULL,
    "parent_span_id" TEXT,
    "service" TEXT NOT NULL,
    "name" TEXT NOT NULL,
    "kind" TEXT NOT NULL,
    "start_ns" BIGINT NOT NULL,
    "duration_ns" BIGINT NOT NULL,
    "status" TEXT NOT NULL,
    "status_message" TEXT NOT NULL DEFAULT '',
    "route" TEXT,
    "db_system" TEXT,
    "db_statement" TEXT,
    "attributes" JSONB NOT NULL,
    "resource" JSONB NOT NULL,
    "events" JSONB NOT NULL,
    "scope" TEXT NOT NULL DEFAULT '',

    CONSTRAINT "span_pkey" PRIMARY KEY ("trace_id","span_id")
);

-- CreateTable
CREATE TABLE "push_group" (
    "key" TEXT NOT NULL,
    "job" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "series_ids" INTEGER[],
    "pushed_at" TIMESTAMPTZ(3) NOT NULL,
    "ttl_seconds" INTEGER,
    "expires_at" TIMESTAMPTZ(3),
    "mode" TEXT NOT NULL DEFAULT 'replace',

    CONSTRAINT "push_group_pkey" PRIMARY KEY ("key")
);

-- CreateTable
CREATE TABLE "api_key" (
    "id" SERIAL NOT NULL,
    "name" TEXT NOT NULL,
    "hash" TEXT NOT NULL,
    "prefix" TEXT NOT NULL,
    "rights" TEXT[],
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen_at" TIMESTAMPTZ(3),
    "revoked_at" TIMESTAMPTZ(3),

    CONSTRAINT "api_key_pkey" PRIMARY KEY ("id")
);

-- CreateIndex
CREATE INDEX "sample_chunk_end_ts_idx" ON "sample_chunk" USING BRIN ("end_ts");

-- CreateIndex
CREATE INDEX "rollup_1m_bucket_idx" ON "rollup_1m" USING BRIN ("bucket");

-- CreateIndex
CREATE INDEX "rollup_1h_bucket_idx" ON "rollup_1h" USING BRIN ("bucket");

-- CreateIndex
CREATE INDEX "span_service_start_ns_idx" ON "span"("service", "start_ns");

-- CreateIndex
CREATE INDEX "span_start_ns_idx" ON "span"("start_ns");

-- CreateIndex
CREATE INDEX "span_route_start_ns_idx" ON "span"("route", "start_ns");

-- CreateIndex
CREATE INDEX "span_duration_ns_idx" ON "span"("duration_ns");

-- CreateIndex
CREATE UNIQUE INDEX "api_key_hash_key" ON "api_key"("hash");

-- AddForeignKey
ALTER TABLE "sample_chunk" ADD CONSTRAINT "sample_chunk_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "series"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollup_1m" ADD CONSTRAINT "rollup_1m_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "series"("id") ON DELETE CASCADE ON UPDATE CASCADE;

-- AddForeignKey
ALTER TABLE "rollup_1h" ADD CONSTRAINT "rollup_1h_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "series"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Blocks hold float64 columns that pglz cannot shrink; skipping compression saves ingest CPU.
ALTER TABLE "ingest_block" ALTER COLUMN "data" SET STORAGE EXTERNAL;
ALTER TABLE "sample_chunk" ALTER COLUMN "data" SET STORAGE EXTERNAL;
