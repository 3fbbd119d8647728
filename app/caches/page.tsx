import type { Metadata } from "next";
import { Suspense } from "react";
import { CachesPage } from "../../components/caches/CachesPage";

export const metadata: Metadata = { title: "Caches · Hotpath" };

export default function Page() {
  // The view reads its state from the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<p className="muted">Loading caches…</p>}>
      <CachesPage />
    </Suspense>
  );
}
