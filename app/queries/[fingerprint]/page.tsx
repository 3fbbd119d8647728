import type { Metadata } from "next";
import { Suspense } from "react";
import { QueryDetailPage } from "../../../components/queries/QueryDetailPage";

export const metadata: Metadata = { title: "Query · Hotpath" };

export default async function Page({ params }: { params: Promise<{ fingerprint: string }> }) {
  const { fingerprint } = await params;
  return (
    <Suspense fallback={<p className="muted">Loading query…</p>}>
      <QueryDetailPage fingerprint={fingerprint} />
    </Suspense>
  );
}
