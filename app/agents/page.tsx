import type { Metadata } from "next";
import { SectionPlaceholder } from "../../components/common/SectionPlaceholder";

export const metadata: Metadata = { title: "Agents · Hotpath" };

export default function Page() {
  return (
    <SectionPlaceholder title="Agents">
      Agents that push to Hotpath, their last push, and the API keys they use.
    </SectionPlaceholder>
  );
}
