import type { Metadata } from "next";
import { SectionPlaceholder } from "../../components/common/SectionPlaceholder";

export const metadata: Metadata = { title: "Explore · Hotpath" };

export default function Page() {
  return (
    <SectionPlaceholder title="Explore">
      Pick a metric, filter its labels, aggregate and chart it live; a PromQL text mode for the rest.
    </SectionPlaceholder>
  );
}
