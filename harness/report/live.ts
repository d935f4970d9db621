import { seconds } from "../core/format.js";
import type { ScenarioPhase, ScenarioProgress } from "../result.js";
import type { Verdict } from "../result.js";
import { terminalText } from "../core/printable.js";

interface State {
  readonly phase: ScenarioPhase;
  readonly detail: string;
  readonly verdict?: Verdict;
  /** When the scenario left the queue, and when it was done. */
  readonly startedAt?: number;
  readonly endedAt?: number;
}

const MARK: Record<ScenarioPhase, string> = {
  queued: "·",
  history: "▸",
  lab: "▸",
  steps: "▸",
  ingest: "▸",
  detection: "▸",
  done: "✔",
};
const VERDICT_MARK: Record<Verdict, string> = {
  pass: "✔ PASS",
  fail: "✖ FAIL",
  error: "✖ ERROR",
};

function elapsed(state: State, now: number): string {
  if (state.startedAt === undefined) return "";
  return seconds((state.endedAt ?? now) - state.startedAt);
}

/** One line per scenario: mark, id, phase and its detail, time since it left the queue. */
export function renderLiveLines(states: ReadonlyMap<string, State>, now: number): string[] {
  const width = Math.max(0, ...[...states.keys()].map((id) => id.length));
  return [...states].map(([id, s]) => {
    const what = s.phase === "done" && s.verdict ? VERDICT_MARK[s.verdict] : `${MARK[s.phase]} ${s.phase}`;
    const detail = s.detail ? ` ${terminalText(s.detail.split("\n")[0] ?? "")}` : "";
    return `${id.padEnd(width)}  ${what}${detail}  ${elapsed(s, now)}`.trimEnd().slice(0, 160);
  });
}

/**
 * The live state of every scenario of a run. On a terminal the block of lines is redrawn in place
 * every second and on every change; elsewhere (CI logs) each change is one line.
 */
export class LiveView {
  private readonly states = new Map<string, State>();
  private drawn = 0;
  private readonly timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly out: NodeJS.WritableStream & { isTTY?: boolean },
    private readonly now: () => number = Date.now,
  ) {
    this.timer = out.isTTY ? setInterval(() => this.draw(), 1000) : undefined;
    this.timer?.unref();
  }

  update(p: ScenarioProgress): void {
    const before = this.states.get(p.scenarioId);
    const now = this.now();
    const startedAt = before?.startedAt ?? (p.phase === "queued" ? undefined : now);
    this.states.set(p.scenarioId, {
      phase: p.phase,
      detail: p.detail,
      ...(p.verdict ? { verdict: p.verdict } : {}),
      ...(startedAt === undefined ? {} : { startedAt }),
      ...(p.phase === "done" ? { endedAt: now } : {}),
    });
    if (this.out.isTTY) this.draw();
    else if (p.phase !== "queued") {
      const line = renderLiveLines(new Map([[p.scenarioId, this.states.get(p.scenarioId) as State]]), now)[0];
      this.out.write(`${line ?? ""}\n`);
    }
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.isTTY) this.draw();
  }

  private draw(): void {
    const lines = renderLiveLines(this.states, this.now());
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : "";
    this.out.write(`${up}${lines.map((l) => `\x1b[2K${l}\n`).join("")}`);
    this.drawn = lines.length;
  }
}
