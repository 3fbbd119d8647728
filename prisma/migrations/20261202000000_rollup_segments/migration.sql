-- CreateTable
CREATE TABLE "rollup_segment" (
    "width" INTEGER NOT NULL,
    "series_id" INTEGER NOT NULL,
    "start" BIGINT NOT NULL,
    "count" INTEGER NOT NULL,
    "data" TEXT NOT NULL,
    "extra" TEXT NOT NULL,

    CONSTRAINT "rollup_segment_pkey" PRIMARY KEY ("width","series_id","start")
);

-- CreateTable
CREATE TABLE "rollup_seal" (
    "width" INTEGER NOT NULL,
    "sealed_to" BIGINT NOT NULL,

    CONSTRAINT "rollup_seal_pkey" PRIMARY KEY ("width")
);

-- AddForeignKey
ALTER TABLE "rollup_segment" ADD CONSTRAINT "rollup_segment_series_id_fkey" FOREIGN KEY ("series_id") REFERENCES "series"("id") ON DELETE CASCADE ON UPDATE CASCADE;


-- Packed base64 is barely compressible: store it out of line without trying, so reads skip pglz.
ALTER TABLE "rollup_segment" ALTER COLUMN "data" SET STORAGE EXTERNAL, ALTER COLUMN "extra" SET STORAGE EXTERNAL;

-- Nothing is sealed yet: the compactor packs the existing rollups, a few segments per run.
INSERT INTO "rollup_seal" ("width", "sealed_to") VALUES (60000, 0), (3600000, 0);
