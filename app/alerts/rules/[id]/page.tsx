import type { Metadata } from "next";
import { Suspense } from "react";
import { AlertRuleEditorPage } from "../../../../components/alerts/AlertRuleEditorPage";

export const metadata: Metadata = { title: "Alert rule · Hotpath" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return (
    <Suspense fallback={<p className="muted">Loading the rule editor…</p>}>
      <AlertRuleEditorPage id={decodeURIComponent(id)} />
    </Suspense>
  );
}
