import type { NextConfig } from "next";

const config: NextConfig = {
  reactStrictMode: true,
  poweredByHeader: false,
  // The custom server in server/ owns /api, /metrics and /v1; Next serves pages only.
  typescript: { ignoreBuildErrors: false },
};

export default config;
