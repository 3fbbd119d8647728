export const NAV_ITEMS = [
  { href: "/", label: "Overview" },
  { href: "/explore", label: "Explore" },
  { href: "/dashboards", label: "Dashboards" },
  { href: "/alerts", label: "Alerts" },
  { href: "/services", label: "Services" },
  { href: "/traces", label: "Traces" },
  { href: "/queries", label: "Queries" },
  { href: "/caches", label: "Caches" },
  { href: "/agents", label: "Agents" },
  { href: "/settings", label: "Settings" },
] as const;
