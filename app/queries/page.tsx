import type { Metadata } from "next";
import { Suspense } from "react";
import { QueriesPage } from "../../components/queries/QueriesPage";

export const metadata: Metadata = { title: "Queries · Hotpath" };

export default function Page() {
  // The view reads its state from the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<p className="muted">Loading queries…</p>}>
      <QueriesPage />
    </Suspense>
  );
}
