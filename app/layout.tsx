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
    <html lang="en" suppressHydrationWarning>
      <head>
        {/* Applies the stored theme before first paint, so no page flashes the other palette. */}
        <script
          // biome-ignore lint/security/noDangerouslySetInnerHtml: a constant inline script, no user input
          dangerouslySetInnerHTML={{
            __html:
              "try{var t=localStorage.getItem('hotpath-theme');if(t==='light'||t==='dark')document.documentElement.dataset.theme=t}catch(e){}",
          }}
        />
      </head>
      <body>
        <Providers>
          <AppShell>{children}</AppShell>
        </Providers>
      </body>
    </html>
  );
}
