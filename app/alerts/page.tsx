import type { Metadata } from "next";
import { Suspense } from "react";
import { AlertsPage } from "../../components/alerts/AlertsPage";

export const metadata: Metadata = { title: "Alerts · Hotpath" };

// The tab is read from the URL on the client.
export default function Page() {
  return (
    <Suspense fallback={<p className="muted">Loading alerts…</p>}>
      <AlertsPage />
    </Suspense>
  );
}
