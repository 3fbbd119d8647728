import type { Metadata } from "next";
import { SectionPlaceholder } from "../../components/common/SectionPlaceholder";

export const metadata: Metadata = { title: "Caches · Hotpath" };

export default function Page() {
  return (
    <SectionPlaceholder title="Caches">
      Hit ratio per cache and level (memory, Redis), evictions, and how many requests reach the database.
    </SectionPlaceholder>
  );
}
