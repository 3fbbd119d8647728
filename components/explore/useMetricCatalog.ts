"use client";

import { useMemo } from "react";
import { inferUnit, type TUnit } from "../common/units";
import { useLabelValuesQuery } from "../hooks/queries/useLabelValuesQuery";
import { useMetadataQuery } from "../hooks/queries/useMetadataQuery";
import { buildCatalog, parsePromQL, type TMetricInfo } from "./builder";

/** Metric names joined with their metadata; works with names alone when metadata is unavailable. */
export function useMetricCatalog() {
  const names = useLabelValuesQuery("__name__");
  const metadata = useMetadataQuery();
  const catalog = useMemo(() => buildCatalog(names.data ?? [], metadata.data ?? {}), [names.data, metadata.data]);
  const byName = useMemo(() => new Map(catalog.map((m) => [m.name, m])), [catalog]);
  return { catalog, byName, names, metadata };
}

/**
 * The unit a query's values most likely carry: from the builder's metric and function when the query is
 * one the builder reads, else from the first metric name in the text.
 */
export function guessUnit(expr: string, byName: Map<string, TMetricInfo>): TUnit {
  const b = parsePromQL(expr);
  if (b?.metric) {
    const info = byName.get(b.metric) ?? byName.get(b.metric.replace(/_bucket$/, ""));
    if (b.fn === "histogram_quantile") return inferUnit(b.metric.replace(/_bucket$/, ""), info?.unit ?? "", b.fn);
    if (b.agg === "count") return "short";
    return inferUnit(b.metric, info?.unit ?? "", b.fn);
  }
  // A ratio of two things is a fraction, whatever they measure.
  if (/\)\s*\/\s*(sum|rate|\()/.test(expr)) return "percent";
  const m = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*[{[]/.exec(expr);
  if (!m) return "short";
  const name = m[1] as string;
  const fn = /histogram_quantile\s*\(/.test(expr)
    ? "histogram_quantile"
    : /\b(rate|irate)\s*\(/.test(expr)
      ? "rate"
      : "none";
  return inferUnit(name, byName.get(name)?.unit ?? "", fn);
}
