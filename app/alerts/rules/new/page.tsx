import type { Metadata } from "next";
import { Suspense } from "react";
import { AlertRuleEditorPage } from "../../../../components/alerts/AlertRuleEditorPage";

export const metadata: Metadata = { title: "New alert rule · Hotpath" };

export default function Page() {
  return (
    <Suspense fallback={<p className="muted">Loading the rule editor…</p>}>
      <AlertRuleEditorPage />
    </Suspense>
  );
}
