"use client";

// Light/dark override of the system preference: sets <html data-theme>, which globals.css maps to the
// palette, and remembers it. Until the shell applies it at boot, pages that render this (or call
// useStoredTheme) apply the stored choice when they mount.
import { useEffect, useState } from "react";

type TTheme = "light" | "dark";
const KEY = "hotpath-theme";

function stored(): TTheme | undefined {
  try {
    const v = localStorage.getItem(KEY);
    return v === "light" || v === "dark" ? v : undefined;
  } catch {
    return undefined;
  }
}

function effective(): TTheme {
  const set = document.documentElement.dataset.theme;
  if (set === "light" || set === "dark") return set;
  return window.matchMedia("(prefers-color-scheme: light)").matches ? "light" : "dark";
}

export function useStoredTheme(): void {
  useEffect(() => {
    const t = stored();
    if (t) document.documentElement.dataset.theme = t;
  }, []);
}

export function ThemeToggle() {
  // Unknown until mounted: the server cannot know the visitor's preference.
  const [theme, setTheme] = useState<TTheme>();
  useEffect(() => {
    const t = stored();
    if (t) document.documentElement.dataset.theme = t;
    setTheme(effective());
  }, []);
  const toggle = () => {
    const next: TTheme = (theme ?? effective()) === "dark" ? "light" : "dark";
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // Private mode: the choice lasts for this page view only.
    }
    setTheme(next);
  };
  return (
    <button type="button" className="agents-button theme-toggle" onClick={toggle} data-testid="theme-toggle">
      {theme === "dark" ? "☀ Light theme" : theme === "light" ? "☾ Dark theme" : "Theme"}
    </button>
  );
}
