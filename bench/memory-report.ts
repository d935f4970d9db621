import { gibText, mibText, verdictText } from "./lib/format.js";
import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";
import { WHOLE_LAB_TARGET_BYTES, type MemoryBench } from "./memory.js";

export function memoryTable(bench: MemoryBench): Table {
  const rss = (bytes: number | undefined) => (bytes === undefined ? "n/a" : mibText(bytes));
  return {
    header: [
      "Scenario",
      "Sensors",
      "Verdict",
      "Elasticsearch",
      "Shipper",
      "Lab containers",
      "Harness (Node)",
      "Whole lab (ES + containers)",
      `Target ≤ ${gibText(WHOLE_LAB_TARGET_BYTES)}`,
    ],
    numeric: [3, 4, 5, 6, 7],
    rows: bench.scenarios.map((s) => [
      s.scenario,
      s.sensors.join(", ") || "none",
      s.verdict,
      rss(s.elasticsearch?.memoryBytes),
      rss(s.shipper?.memoryBytes),
      rss(s.labContainers?.memoryBytes),
      rss(s.harnessPeakRssBytes),
      rss(s.wholeLab?.memoryBytes),
      s.wholeLab
        ? verdictText(s.wholeLab.memoryBytes + s.harnessPeakRssBytes <= WHOLE_LAB_TARGET_BYTES)
        : "n/a",
    ]),
  };
}

export function renderMemoryText(bench: MemoryBench): string {
  return textTable(memoryTable(bench));
}

export function renderMemoryMarkdown(bench: MemoryBench, jsonFile: string): string {
  return [
    `# Memory, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Backend: ${bench.backend}. Raw figures: \`${jsonFile}\`.`,
    "",
    "The library's largest lab (most targets, hosts and sensors) and its smallest each ran once. Container figures are the peaks of",
    "one-second `docker stats` readings (memory usage minus inactive page cache), summed over the",
    "containers of a column at each reading: *Lab containers* are every host, sensor and the shipper of",
    "the scenario's lab; *Whole lab* adds Elasticsearch at the same reading. *Harness* is the peak",
    "resident set of the Node process that ran scanproof (sampled every 250 ms). The target compares",
    "the whole lab plus the harness with 2.5 GiB.",
    "",
    markdownTable(memoryTable(bench)),
    "",
  ].join("\n");
}
