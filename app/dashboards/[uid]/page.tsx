import type { Metadata } from "next";
import { Suspense } from "react";
import { DashboardPage } from "../../../components/dashboards/DashboardPage";

export const metadata: Metadata = { title: "Dashboard · Hotpath" };

export default async function Page({ params }: { params: Promise<{ uid: string }> }) {
  const { uid } = await params;
  // The range and edit mode are read from the URL on the client.
  return (
    <Suspense fallback={<p className="muted">Loading the dashboard…</p>}>
      <DashboardPage uid={uid} />
    </Suspense>
  );
}
