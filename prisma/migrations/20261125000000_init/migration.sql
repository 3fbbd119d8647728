-- CreateSchema
CREATE SCHEMA IF NOT EXISTS "public";

-- CreateTable
CREATE TABLE "series" (
    "id" SERIAL NOT NULL,
    "hash" BIGINT NOT NULL,
    "name" TEXT NOT NULL,
    "labels" JSONB NOT NULL,
    "type" TEXT NOT NULL DEFAULT 'untyped',
    "unit" TEXT NOT NULL DEFAULT '',
    "help" TEXT NOT NULL DEFAULT '',
    "created_at" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    "last_seen" TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,

    CONSTRAINT "series_pkey" PRIMARY KEY ("id")
);

-- CreateTable
CREATE TABLE "sample" (
    "series_id" INTEGER NOT NULL,
    "ts" BIGINT NOT NULL,
    "value" DOUBLE PRECISION NOT NULL,

    CONSTRAINT "sample_pkey" PRIMARY KEY ("series_id","ts")
);

-- CreateIndex
CREATE UNIQUE INDEX "series_hash_key" ON "series"("hash");

-- CreateIndex
CREATE INDEX "series_name_idx" ON "series"("name");

-- CreateIndex
CREATE INDEX "sample_ts_idx" ON "sample"("ts");

-- AddForeignKey
ALTER TABLE "sample" ADD CONSTRAINT "sample_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "series"("id") ON DELETE CASCADE ON UPDATE CASCADE;

