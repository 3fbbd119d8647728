import type { Metadata } from "next";
import { SectionPlaceholder } from "../../components/common/SectionPlaceholder";

export const metadata: Metadata = { title: "Settings · Hotpath" };

export default function Page() {
  return <SectionPlaceholder title="Settings">Retention, limits, and the stores Hotpath runs on.</SectionPlaceholder>;
}
