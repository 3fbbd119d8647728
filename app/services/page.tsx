import type { Metadata } from "next";
import { Suspense } from "react";
import { ServicesPage } from "../../components/services/ServicesPage";

export const metadata: Metadata = { title: "Services · Hotpath" };

export default function Page() {
  // The view reads its state from the URL (useSearchParams), which needs a Suspense boundary.
  return (
    <Suspense fallback={<p className="muted">Loading services…</p>}>
      <ServicesPage />
    </Suspense>
  );
}
