/** Seconds each step of a demo took, for its summary: where a slow machine spends its time. */
export interface PhaseClock {
  /** Seconds per finished step, to a tenth. */
  readonly phases: Record<string, number>;
  /** Ends the current step under `name`; the next one starts now. */
  done(name: string): void;
  /** Whole seconds since the clock started. */
  seconds(): number;
}

export function phaseClock(): PhaseClock {
  const started = Date.now();
  const phases: Record<string, number> = {};
  let phaseStart = started;
  return {
    phases,
    done(name) {
      phases[name] = Math.round((Date.now() - phaseStart) / 100) / 10;
      phaseStart = Date.now();
    },
    seconds: () => Math.round((Date.now() - started) / 1000),
  };
}
