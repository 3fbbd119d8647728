import type { Metadata } from "next";
import { SectionPlaceholder } from "../../components/common/SectionPlaceholder";

export const metadata: Metadata = { title: "Alerts · Hotpath" };

export default function Page() {
  return (
    <SectionPlaceholder title="Alerts">
      Threshold and absence rules, what is firing and pending, silences and history.
    </SectionPlaceholder>
  );
}
