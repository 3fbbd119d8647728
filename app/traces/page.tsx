import type { Metadata } from "next";
import { Suspense } from "react";
import { TracesPage } from "../../components/traces/TracesPage";

export const metadata: Metadata = { title: "Traces · Hotpath" };

export default function Page() {
  // The view reads its state from the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<p className="muted">Loading traces…</p>}>
      <TracesPage />
    </Suspense>
  );
}
