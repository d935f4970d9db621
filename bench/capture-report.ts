import type { CaptureBench, CaptureCase, CaptureRun } from "./capture.js";
import { describeMachineLine } from "./lib/machine.js";
import { spread } from "./lib/stats.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";

function median(
  runs: readonly CaptureRun[],
  figure: (r: CaptureRun) => number | undefined,
): number | undefined {
  return spread(runs.map(figure).filter((v): v is number => v !== undefined))?.median;
}

const fixed = (v: number | undefined, digits: number) => (v === undefined ? "—" : v.toFixed(digits));

function row(c: CaptureCase): string[] {
  const plain = c.runs.filter((r) => !r.captured);
  const captured = c.runs.filter((r) => r.captured);
  const without = median(plain, (r) => r.wallMs);
  const withCapture = median(captured, (r) => r.wallMs);
  const packets = median(captured, (r) => r.packets);
  const bytes = median(captured, (r) => r.pcapBytes);
  return [
    c.step,
    fixed(without === undefined ? undefined : without / 1000, 1),
    fixed(withCapture === undefined ? undefined : withCapture / 1000, 1),
    fixed(without === undefined || withCapture === undefined ? undefined : (withCapture - without) / 1000, 1),
    fixed(
      median(captured, (r) => r.sidecarCpuMs),
      0,
    ),
    fixed(packets, 0),
    fixed(bytes === undefined ? undefined : bytes / 1024 ** 2, 1),
    fixed(bytes === undefined || !packets ? undefined : bytes / packets, 0),
    fixed(
      median(captured, (r) => r.flows),
      0,
    ),
    fixed(Math.max(...captured.map((r) => r.dropped ?? 0)), 0),
    fixed(Math.max(...captured.map((r) => r.claimsNotOnWire ?? 0)), 0),
  ];
}

export function captureTable(bench: CaptureBench): Table {
  return {
    header: [
      "Step",
      "Without capture (s)",
      "With capture (s)",
      "Added (s)",
      "Sidecar CPU (ms)",
      "Packets",
      "pcap (MiB)",
      "Bytes/packet",
      "Flows across the firewall",
      "Dropped (most)",
      "Claims not on the wire (most)",
    ],
    numeric: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    rows: bench.cases.map(row),
  };
}

export function renderCaptureText(bench: CaptureBench): string {
  return textTable(captureTable(bench));
}

export function renderCaptureMarkdown(bench: CaptureBench, jsonFile: string): string {
  return [
    `# Capture benchmark, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Raw figures: \`${jsonFile}\`.`,
    "",
    `Each step ran ${bench.repeats} times without and ${bench.repeats} times with the capture of its`,
    "source, alternated, in one lab (no sensors besides the firewall); medians. *With capture* is the",
    "step plus starting dumpcap, stopping it and reducing the pcap with tshark (`observeStep`).",
    "*Sidecar CPU* is the capture sidecar's CPU time over all of that (its cgroup's counter): the",
    "capture's cost. Wall times stretch with the machine's load (above), the CPU time much less.",
    "",
    markdownTable(captureTable(bench)),
    "",
  ].join("\n");
}
