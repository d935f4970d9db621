import type { ElasticRulesBench } from "./elastic-rules.js";
import { OUTCOMES, type RuleOutcome } from "./lib/elastic-outcomes.js";
import { describeMachineLine } from "./lib/machine.js";
import { markdownTable, textTable, type Table } from "./lib/table.js";

function detail(r: RuleOutcome): string {
  if (r.outcome === "fired")
    return Object.entries(r.alerts ?? {})
      .map(([scenario, n]) => `${n} in ${scenario}`)
      .join(", ");
  return r.why ?? "";
}

function outcomeTable(bench: ElasticRulesBench): Table {
  return {
    header: ["Rule", "Type", "File", "Outcome", "Alerts, or what the lab lacks, or why not run"],
    rows: bench.rules.map((r) => [r.name, r.type ?? "—", r.file, r.outcome, detail(r)]),
  };
}

function countLine(bench: ElasticRulesBench): string {
  const total = bench.rules.length;
  return `${total} rule files: ${OUTCOMES.map((o) => `${bench.counts[o]} ${o}`).join(", ")}.`;
}

export function renderElasticRulesText(bench: ElasticRulesBench): string {
  return `${textTable(outcomeTable(bench))}\n\n${countLine(bench)}`;
}

export function renderElasticRulesMarkdown(bench: ElasticRulesBench, jsonFile: string): string {
  return [
    `# Elastic's published network rules in the lab, ${bench.date}`,
    "",
    `${describeMachineLine(bench.machine, bench.load1m)} ${bench.backend}. Raw figures: \`${jsonFile}\`.`,
    "",
    `Every file of \`${bench.rulesDir}\` (detection-rules, Elastic License 2.0: read in place, never`,
    "copied), unmodified, run over the scenarios written for them:",
    ...bench.scenarios.map((s) => `- \`${s.id}\`: ${s.verdict}`),
    "",
    "*fired*: it raised an alert (each scenario's `expect` names every Elastic rule that must fire and",
    "lets no other). *silent*: its index patterns reach lab data and its query can hold for a lab",
    "document, and it found nothing. *cannot apply*: no lab document can ever match it — none of its",
    "index patterns reaches a lab index or alias, a field it groups by or its time field is missing",
    "or unusable, or every way its query can hold needs a field no lab document behind its patterns",
    "carries or a `data_stream.dataset` none of them holds (the lab's indices share one mapping, so",
    "documents decide, not the mapping). *skipped*: not run, with the reason.",
    "",
    `**${countLine(bench)}**`,
    "",
    markdownTable(outcomeTable(bench)),
    "",
    "Where the lab's events are searchable, in the data streams Elastic's integrations write:",
    "",
    markdownTable({
      header: ["Data stream (alias)", "Index", "Holds"],
      rows: bench.dataStreams.map((d) => [d.name, d.index, d.holds]),
    }),
    "",
  ].join("\n");
}
