import type { Metadata } from "next";
import type { ReactNode } from "react";
import { AppShell } from "../components/shell/AppShell";
import { Providers } from "./providers";
import "./globals.css";

export const metadata: Metadata = {
  title: "Hotpath",
  description: "Find the bottleneck in your data API",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <Providers>
          <AppShell>{children}</AppShell>
        </Providers>
      </body>
    </html>
  );
}
