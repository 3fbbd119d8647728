import type { Metadata } from "next";
import { Suspense } from "react";
import { TraceViewPage } from "../../../components/traces/TraceViewPage";

export const metadata: Metadata = { title: "Trace · Hotpath" };

export default async function Page({ params }: { params: Promise<{ traceId: string }> }) {
  const { traceId } = await params;
  return (
    <Suspense fallback={<p className="muted">Loading trace…</p>}>
      <TraceViewPage traceId={traceId} />
    </Suspense>
  );
}
