import type { Metadata } from "next";
import { SectionPlaceholder } from "../../components/common/SectionPlaceholder";

export const metadata: Metadata = { title: "Traces · Hotpath" };

export default function Page() {
  return (
    <SectionPlaceholder title="Traces">
      Search spans by service, route, duration and status; open a trace as a waterfall.
    </SectionPlaceholder>
  );
}
