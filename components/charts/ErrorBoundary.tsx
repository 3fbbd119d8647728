"use client";

// One boundary per page (keyed by path, so navigating away and back starts clean) and one per panel
// (a panel that throws on odd data must not take its dashboard down).
import { Component, type ReactNode } from "react";

type Props = { children: ReactNode; label: string; compact?: boolean };
type State = { error?: Error };

export class ErrorBoundary extends Component<Props, State> {
  override state: State = {};

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override render() {
    const { error } = this.state;
    if (!error) return this.props.children;
    return (
      <div role="alert" className={this.props.compact ? "chart-error compact" : "panel chart-error"}>
        <p>
          {this.props.label} failed: {error.message}
        </p>
        <button type="button" className="agents-button" onClick={() => this.setState({ error: undefined })}>
          Try again
        </button>
      </div>
    );
  }
}
