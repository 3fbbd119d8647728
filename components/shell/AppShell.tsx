"use client";

import Link from "next/link";
import { usePathname } from "next/navigation";
import type { ReactNode } from "react";
import { AlertsNavBadge, AlertToasts } from "../alerts/AlertsLive";
import { StatusStrip } from "../live/StatusStrip";
import { NAV_ITEMS } from "./nav-items";

export function AppShell({ children }: { children: ReactNode }) {
  const pathname = usePathname();
  return (
    <div className="shell">
      <div className="shell-brand">
        hot<span>path</span>
      </div>
      <header className="shell-strip">
        <StatusStrip />
      </header>
      <nav className="shell-nav" aria-label="Sections">
        {NAV_ITEMS.map((item) => {
          const active = item.href === "/" ? pathname === "/" : pathname.startsWith(item.href);
          return (
            <Link key={item.href} href={item.href} aria-current={active ? "page" : undefined}>
              {item.label}
              {item.href === "/alerts" && <AlertsNavBadge />}
            </Link>
          );
        })}
      </nav>
      <main className="shell-main">{children}</main>
      <AlertToasts />
    </div>
  );
}
