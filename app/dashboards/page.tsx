import type { Metadata } from "next";
import { DashboardsListPage } from "../../components/dashboards/DashboardsListPage";

export const metadata: Metadata = { title: "Dashboards · Hotpath" };

export default function Page() {
  return <DashboardsListPage />;
}
