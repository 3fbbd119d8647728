import type { Metadata } from "next";
import { Suspense } from "react";
import { ExplorePage } from "../../components/explore/ExplorePage";

export const metadata: Metadata = { title: "Explore · Hotpath" };

// Explore reads its state from the URL: the static shell renders, the view fills in on the client.
export default function Page() {
  return (
    <Suspense fallback={<p className="muted">Loading Explore…</p>}>
      <ExplorePage />
    </Suspense>
  );
}
