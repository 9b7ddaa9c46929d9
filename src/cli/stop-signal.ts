/**
 * Ctrl-C (SIGINT) and SIGTERM: the first lets a long-running command finish the work in flight and
 * close cleanly; the command then exits 130 or 143 as shells expect (see ./failure.ts). A second
 * signal ends the process at once.
 */

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForStopSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = listenForStop(() => {
      stop.dispose();
      resolve(stop.received() ?? 'SIGINT');
    });
  });
}

export interface StopListener {
  /** Aborted on the first signal. */
  readonly signal: AbortSignal;
  /** The signal received, if any. */
  received(): NodeJS.Signals | undefined;
  /** Stops listening (the default handling of the signals comes back). */
  dispose(): void;
}

export function listenForStop(onStop?: (signal: NodeJS.Signals) => void): StopListener {
  const controller = new AbortController();
  let received: NodeJS.Signals | undefined;
  const second = (signal: NodeJS.Signals) => process.exit(signal === 'SIGTERM' ? 143 : 130);
  const first = (signal: NodeJS.Signals) => {
    received = signal;
    process.off('SIGINT', first);
    process.off('SIGTERM', first);
    process.once('SIGINT', second);
    process.once('SIGTERM', second);
    controller.abort(new Error(`stopped by ${signal}`));
    onStop?.(signal);
  };
  process.on('SIGINT', first);
  process.on('SIGTERM', first);
  return {
    signal: controller.signal,
    received: () => received,
    dispose() {
      process.off('SIGINT', first);
      process.off('SIGTERM', first);
      process.off('SIGINT', second);
      process.off('SIGTERM', second);
    },
  };
}
