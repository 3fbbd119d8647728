import type { Metadata } from "next";
import { SectionPlaceholder } from "../../components/common/SectionPlaceholder";

export const metadata: Metadata = { title: "Queries · Hotpath" };

export default function Page() {
  return (
    <SectionPlaceholder title="Queries">
      Slow queries by fingerprint: calls, total time, p95, rows, with plans and candidate indexes.
    </SectionPlaceholder>
  );
}
