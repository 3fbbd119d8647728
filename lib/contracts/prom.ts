// The Prometheus HTTP API's response shapes (/api/v1/query_range, /query, /labels, /label/<name>/values,
// /series, /metadata), as Prometheus documents them. Hotpath serves these under its own envelope-free
// Prometheus format so Grafana and the browser read the same answers.
import { z } from "zod";

/** `[unixSeconds, "value"]`: the value is a string so NaN and ±Inf survive JSON. */
export const ZPromSamplePairSchema = z.tuple([z.number(), z.string()]);
export type TPromSamplePair = z.infer<typeof ZPromSamplePairSchema>;

export const ZPromLabelsSchema = z.record(z.string(), z.string());
export type TPromLabels = z.infer<typeof ZPromLabelsSchema>;

export const ZPromMatrixSeriesSchema = z.object({ metric: ZPromLabelsSchema, values: z.array(ZPromSamplePairSchema) });
export type TPromMatrixSeries = z.infer<typeof ZPromMatrixSeriesSchema>;

export const ZPromVectorSampleSchema = z.object({ metric: ZPromLabelsSchema, value: ZPromSamplePairSchema });
export type TPromVectorSample = z.infer<typeof ZPromVectorSampleSchema>;

export const ZPromQueryDataSchema = z.discriminatedUnion("resultType", [
  z.object({ resultType: z.literal("matrix"), result: z.array(ZPromMatrixSeriesSchema) }),
  z.object({ resultType: z.literal("vector"), result: z.array(ZPromVectorSampleSchema) }),
  z.object({ resultType: z.literal("scalar"), result: ZPromSamplePairSchema }),
  z.object({ resultType: z.literal("string"), result: ZPromSamplePairSchema }),
]);
export type TPromQueryData = z.infer<typeof ZPromQueryDataSchema>;

const success = <S extends z.ZodType>(data: S) =>
  z.object({
    status: z.literal("success"),
    data,
    warnings: z.array(z.string()).optional(),
    infos: z.array(z.string()).optional(),
  });

export const ZPromQueryResponseSchema = success(ZPromQueryDataSchema);
export type TPromQueryResponse = z.infer<typeof ZPromQueryResponseSchema>;

export const ZPromLabelListSchema = success(z.array(z.string()));
export const ZPromSeriesListSchema = success(z.array(ZPromLabelsSchema));

export const ZPromMetricMetadataSchema = z.object({
  type: z.string(),
  help: z.string().default(""),
  unit: z.string().default(""),
});
export type TPromMetricMetadata = z.infer<typeof ZPromMetricMetadataSchema>;
export const ZPromMetadataResponseSchema = success(z.record(z.string(), z.array(ZPromMetricMetadataSchema)));

export const ZPromErrorSchema = z.object({
  status: z.literal("error"),
  errorType: z.string(),
  error: z.string(),
});
export type TPromError = z.infer<typeof ZPromErrorSchema>;
