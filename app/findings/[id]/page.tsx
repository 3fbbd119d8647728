import type { Metadata } from "next";
import { FindingPage } from "../../../components/findings/FindingPage";

export const metadata: Metadata = { title: "Finding · Hotpath" };

export default async function Page({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return <FindingPage id={id} />;
}
