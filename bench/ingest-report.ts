import type { ResourcePeak } from "./lib/container-peaks.js";
import type { IngestBench, RateFigures, SourceFigures } from "./ingest-figures.js";
import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";

const MIB = 1024 * 1024;
const whole = (n: number) => Math.round(n).toLocaleString("en-US");
const seconds = (ms: number) => (ms / 1000).toFixed(1);
const cpu = (peak: ResourcePeak | undefined) => (peak ? `${peak.cpuPercent.toFixed(0)} %` : "n/a");
const memory = (peak: ResourcePeak | undefined) => (peak ? `${whole(peak.memoryBytes / MIB)} MiB` : "n/a");

export function rateTable(bench: IngestBench): Table {
  return {
    header: [
      "Rate asked (pps)",
      "Probes",
      "masscan (s)",
      "Achieved (pps)",
      "Firewall-logged (pps)",
      "Verdict",
      "Shipper CPU",
      "Shipper RSS",
      "ES CPU",
      "ES RSS",
    ],
    numeric: [0, 1, 2, 3, 4, 6, 7, 8, 9],
    rows: bench.rates.map((r) => [
      whole(r.requestedPps),
      whole(r.probes),
      r.masscanSeconds.toFixed(1),
      whole(r.achievedPps),
      r.firewallLoggedPps === undefined ? "n/a" : whole(r.firewallLoggedPps),
      r.verdict,
      cpu(r.shipper),
      memory(r.shipper),
      cpu(r.elasticsearch),
      memory(r.elasticsearch),
    ]),
  };
}

export function sourceTable(bench: IngestBench): Table {
  return {
    header: [
      "Rate asked (pps)",
      "Source",
      "Events seen / expected",
      "Indexed / written",
      "Unparsed",
      "All searchable after (s)",
      "Harness wait (s)",
      "Lost before file",
      "Lost file → index",
    ],
    numeric: [0, 4, 5, 6, 7, 8],
    rows: bench.rates.flatMap((r) =>
      r.sources.map((s) => [
        whole(r.requestedPps),
        s.source,
        `${whole(s.seenEvents)} / ${whole(s.expectedEvents)}`,
        `${whole(s.indexed)} / ${whole(s.sensorRecords)}`,
        whole(s.parseFailures),
        s.searchableAfterMs === undefined ? "never" : seconds(s.searchableAfterMs),
        seconds(s.ingestWaitMs),
        whole(s.lostBeforeSensorFile),
        whole(s.lostBetweenFileAndIndex),
      ]),
    ),
  };
}

function describeLoss(s: SourceFigures): string | undefined {
  const parts = [
    ...(s.lostBeforeSensorFile > 0
      ? [`${whole(s.lostBeforeSensorFile)} probes never reached the sensor's file`]
      : []),
    ...(s.lostBetweenFileAndIndex > 0
      ? [`${whole(s.lostBetweenFileAndIndex)} written records never reached the index`]
      : []),
    ...(s.parseFailures > 0 ? [`${whole(s.parseFailures)} records indexed unparsed`] : []),
  ];
  if (parts.length === 0) return undefined;
  const examples =
    s.firstMissing.length > 0 ? ` (first missing: ${s.firstMissing.slice(0, 3).join(", ")})` : "";
  return `${s.source}: ${parts.join("; ")}${examples}`;
}

/** One line per rate: how fast masscan really sent, and every loss with where it happened. */
export function findings(rate: RateFigures): string[] {
  const lines = [
    `${whole(rate.requestedPps)} pps asked: masscan took ${rate.masscanSeconds.toFixed(1)} s for ${whole(rate.probes)} probes` +
      (rate.firewallLoggedPps === undefined
        ? ""
        : `; the firewall logged them at ${whole(rate.firewallLoggedPps)} pps from first to last record`),
  ];
  if (rate.reason) lines.push(`error: ${rate.reason}`);
  const losses = rate.sources.map(describeLoss).filter((l): l is string => l !== undefined);
  lines.push(
    ...(losses.length > 0 ? losses : ["no loss: every probe in every source, every record indexed"]),
  );
  return lines;
}

function evidence(rate: RateFigures): string[] {
  return Object.entries(rate.containerEvidence).flatMap(([container, lines]) =>
    lines.map((line) => `${container}: ${line}`),
  );
}

export function renderText(bench: IngestBench): string {
  return [
    textTable(rateTable(bench)),
    "",
    textTable(sourceTable(bench)),
    "",
    ...bench.rates.flatMap((r) => [...findings(r), ...evidence(r).map((e) => `  ${e}`), ""]),
  ].join("\n");
}

export function renderMarkdown(bench: IngestBench, jsonFile: string): string {
  return [
    `# Ingest benchmark, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} Backend: ${bench.backend}. Raw figures: \`${jsonFile}\`.`,
    "",
    "Each rate is one lab scenario: masscan sends one SYN to each of the 65,535 TCP ports of the web",
    "server at the asked rate; the firewall (nftables → ulogd2), the IDS (Suricata flows) and NetFlow",
    "(softflowd → nfcapd) log them; rsyslog ships every record to Elasticsearch.",
    "",
    "- *masscan (s)*: masscan's wall time in the attacker (start-up, sending, 3 s waiting for replies);",
    "  *Achieved*: probes ÷ that time; *Firewall-logged*: firewall records ÷ time from its first to its",
    "  last record, the closest measure of the rate on the wire.",
    "- *All searchable after*: from the end of masscan until a plain search (no forced refresh, polled",
    "  every second by the bench) first found every record the index ended up with. *Harness wait*: the",
    "  harness's `ingestWaitMs`, until its accounting had seen every probe or gave up; sources are awaited",
    "  one after another and a full account of 65,535 probes takes tens of seconds, so it is an upper",
    "  bound, not Elasticsearch's latency.",
    "- *Lost before file*: probes the sensor never wrote (the index holds everything it wrote);",
    "  *Lost file → index*: records written but not indexed.",
    "- CPU and RSS: peaks of one-second `docker stats` readings (100 % = one CPU; RSS = memory usage",
    "  minus inactive page cache).",
    "",
    "## Per rate",
    "",
    markdownTable(rateTable(bench)),
    "",
    "## Per rate and source",
    "",
    markdownTable(sourceTable(bench)),
    "",
    "## Findings",
    "",
    ...bench.rates.flatMap((r) => [
      ...findings(r).map((line, i) => (i === 0 ? `- ${line}` : `  - ${line}`)),
      ...evidence(r).map((e) => `  - \`${e}\``),
    ]),
    "",
  ].join("\n");
}
