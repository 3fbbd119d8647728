"use client";

// The Alerts page: what fires, is pending or silenced (live: the shell's AlertToasts refresh it on
// every event), the rules, silences, channels and the history, one tab each (in the URL: ?tab=).
import Link from "next/link";
import { usePathname, useRouter, useSearchParams } from "next/navigation";
import { ErrorBoundary } from "../charts/ErrorBoundary";
import { useAlertsQuery } from "../hooks/queries/useAlertsQuery";
import { useLiveSocket } from "../live/useLiveSocket";
import { AlertsChannels } from "./AlertsChannels";
import { AlertsHistory } from "./AlertsHistory";
import { AlertsList } from "./AlertsList";
import { AlertsRules } from "./AlertsRules";
import { AlertsSilences } from "./AlertsSilences";

const TABS = [
  { id: "alerts", label: "Alerts" },
  { id: "rules", label: "Rules" },
  { id: "silences", label: "Silences" },
  { id: "channels", label: "Channels" },
  { id: "history", label: "History" },
] as const;
type TTab = (typeof TABS)[number]["id"];

export function AlertsPage() {
  const pathname = usePathname();
  return (
    <ErrorBoundary key={pathname} label="Alerts">
      <AlertsView />
    </ErrorBoundary>
  );
}

function AlertsView() {
  const sp = useSearchParams();
  const router = useRouter();
  const param = sp.get("tab");
  const tab: TTab = TABS.some((t) => t.id === param) ? (param as TTab) : "alerts";
  const { connected } = useLiveSocket();
  const alerts = useAlertsQuery({ refetchInterval: connected ? false : 10_000 });
  const list = alerts.data?.alerts ?? [];
  const firing = list.filter((a) => a.state === "firing" && !a.silenced).length;
  const pending = list.filter((a) => a.state === "pending" && !a.silenced).length;
  const silenced = list.filter((a) => a.silenced).length;

  return (
    <section className="al-page">
      <header className="al-header">
        <h1>Alerts</h1>
        <div className="al-summary">
          <span className={`al-count firing${firing > 0 ? " on" : ""}`}>{firing} firing</span>
          <span className="al-count pending">{pending} pending</span>
          <span className="al-count silenced">{silenced} silenced</span>
          {!connected && <span className="muted">live updates paused, refreshing every 10 s</span>}
        </div>
        <Link className="agents-button primary" href="/alerts/rules/new">
          New rule
        </Link>
      </header>
      <div className="al-tabs" role="tablist" aria-label="Alerts sections">
        {TABS.map((t) => (
          <button
            key={t.id}
            type="button"
            role="tab"
            aria-selected={tab === t.id}
            onClick={() => router.replace(t.id === "alerts" ? "/alerts" : `/alerts?tab=${t.id}`, { scroll: false })}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel">
        {tab === "alerts" && (
          <AlertsList
            alerts={list}
            loading={alerts.isPending}
            error={alerts.error?.message}
            evaluating={alerts.data?.evaluating ?? true}
          />
        )}
        {tab === "rules" && <AlertsRules />}
        {tab === "silences" && <AlertsSilences />}
        {tab === "channels" && <AlertsChannels />}
        {tab === "history" && <AlertsHistory />}
      </div>
    </section>
  );
}
