// Time-axis labels sized to the span on screen: seconds for a few minutes, dates for days.
export function timeTickFormatter(spanMs: number): (t: number) => string {
  if (spanMs > 2 * 86_400_000) {
    return (t) => new Date(t).toLocaleDateString(undefined, { month: "short", day: "numeric" });
  }
  if (spanMs > 86_400_000) {
    return (t) =>
      new Date(t).toLocaleString(undefined, { day: "numeric", hour: "2-digit", minute: "2-digit", hour12: false });
  }
  if (spanMs <= 10 * 60_000) {
    return (t) =>
      new Date(t).toLocaleTimeString(undefined, {
        hour: "2-digit",
        minute: "2-digit",
        second: "2-digit",
        hour12: false,
      });
  }
  return (t) => new Date(t).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit", hour12: false });
}

export function formatTooltipTime(t: number): string {
  return new Date(t).toLocaleString(undefined, {
    year: "numeric",
    month: "short",
    day: "numeric",
    hour: "2-digit",
    minute: "2-digit",
    second: "2-digit",
    hour12: false,
  });
}

const TICK_STEPS_MS = [
  1_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000, 3_600_000, 7_200_000,
  10_800_000, 21_600_000, 43_200_000, 86_400_000, 172_800_000, 604_800_000,
];

/**
 * Round-time ticks across [start, end], at most `max` of them, on local-time boundaries (a "06:00" tick
 * is six o'clock where the reader is). Recharts' own ticks for a numeric axis fall on arbitrary numbers.
 */
export function timeTicks(start: number, end: number, max: number): number[] {
  if (!(end > start) || max < 1) return [];
  const span = end - start;
  const step = TICK_STEPS_MS.find((s) => span / s <= max) ?? Math.ceil(span / max / 86_400_000) * 86_400_000;
  const offset = -new Date(start).getTimezoneOffset() * 60_000;
  const ticks: number[] = [];
  for (let t = Math.ceil((start + offset) / step) * step - offset; t <= end; t += step) ticks.push(t);
  return ticks;
}
