import { seconds } from "../harness/core/format.js";
import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";
import type { Timed } from "./lib/timing.js";
import type { SetupBench } from "./setup.js";

const total = (steps: readonly Timed[]) => steps.reduce((sum, s) => sum + s.ms, 0);

export function setupTable(bench: SetupBench): Table {
  const row = (kind: string, s: Timed) => [
    kind,
    s.what,
    seconds(s.ms),
    s.ok ? "ok" : `failed: ${s.note ?? ""}`,
  ];
  return {
    header: ["Kind", "Step", "Time", "Outcome"],
    numeric: [2],
    rows: [
      ...bench.cold.map((s) => row("cold", s)),
      ...bench.coldImages.map((s) => row("cold", s)),
      ["cold", "all lab images", seconds(total(bench.coldImages)), ""],
      ["cold", "total", seconds(total(bench.cold) + total(bench.coldImages)), ""],
      ...bench.warm.map((s) => row("warm", s)),
    ],
  };
}

export function renderSetupText(bench: SetupBench): string {
  return textTable(setupTable(bench));
}

export function renderSetupMarkdown(bench: SetupBench, jsonFile: string): string {
  return [
    `# Set-up benchmark, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Raw figures: \`${jsonFile}\`.`,
    "",
    "What *cold* covers: `npm ci` with an empty npm cache; a full TypeScript compile; debootstrap of",
    "the Debian base file system and its `docker import`; Maven fetching Elasticsearch into an empty",
    "local repository (plugins included); every lab image built with `--no-cache` under a separate",
    "repository (`scanproof-bench-cold/*`, removed afterwards) — each in a scratch HOME and cache.",
    "Not covered: installing and starting the Docker engine (shared by everyone on this machine), and",
    "the lab images build `FROM` the machine's existing `scanproof/base:bookworm`, which is the same",
    "debootstrap as the one timed. *Warm*: `scanproof setup` on this machine, as every run does first.",
    "",
    markdownTable(setupTable(bench)),
    "",
  ].join("\n");
}
