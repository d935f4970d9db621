import { basename, join } from "node:path";
import type { Backend } from "../../harness/backend/backend.js";
import { LAB_DATA_STREAMS, SOURCE_INDEX, dataStreamName } from "../../harness/backend/templates.js";
import { projectRoot } from "../../harness/core/paths.js";
import type { LogSourceName } from "../../harness/core/vocabulary.js";
import { ruleLacks, type Lack, type SearchedData } from "../../harness/detection/live/applicability.js";
import type { Rule, SkippedRule } from "../../harness/detection/rules/rule.js";
import type { RunResult } from "../../harness/result.js";

/**
 * The scenarios Elastic's published network rules are run over, each written for those rules (its
 * `expect` names every Elastic rule that must fire and lets no other): an insider's scan and sweep
 * seen by NetFlow, and an external host's repertoire seen by every sensor.
 */
export const ELASTIC_RULE_SCENARIOS: readonly string[] = [
  "elastic-rules-internal-attacker.yaml",
  "elastic-rules-every-sensor.yaml",
].map((file) => join(projectRoot, "test", "fixtures", "scenarios", file));

export type Outcome = "fired" | "silent" | "cannot apply" | "skipped";
export const OUTCOMES: readonly Outcome[] = ["fired", "silent", "cannot apply", "skipped"];

export interface RuleOutcome {
  readonly file: string;
  readonly ruleId?: string;
  readonly name: string;
  readonly type?: string;
  readonly outcome: Outcome;
  /** fired: the scenarios it fired in and its alerts there. */
  readonly alerts?: Readonly<Record<string, number>>;
  /** cannot apply: what the lab lacks, each absent from every lab index and alias. */
  readonly lacks?: readonly Lack[];
  /** Why it is so, in words: what the lab lacks, or why the rule was not run. */
  readonly why?: string;
}

/** What the lab's sensors write: every index and alias name, with the datasets behind each. */
export function labData(): SearchedData {
  return {
    names: (Object.keys(SOURCE_INDEX) as LogSourceName[]).flatMap((source) => {
      const datasets = LAB_DATA_STREAMS.filter((d) => d.source === source).map((d) => d.dataset);
      return [
        { name: SOURCE_INDEX[source], datasets },
        ...datasets.map((dataset) => ({ name: dataStreamName(dataset), datasets: [dataset] })),
      ];
    }),
  };
}

/** Integrations whose data no lab sensor produces, by the prefix of their data stream names. */
const PRODUCTS: readonly (readonly [RegExp, string])[] = [
  [/^logs-panw\./, "a Palo Alto Networks PAN-OS firewall"],
  [/^logs-fortinet_fortigate\./, "a Fortinet FortiGate firewall"],
  [/^logs-pfsense\./, "a pfSense firewall"],
  [/^logs-sonicwall_firewall\./, "a SonicWall firewall"],
  [/^logs-cisco_ftd\./, "a Cisco Firepower Threat Defense"],
  [/^logs-zeek\./, "Zeek"],
  [/^logs-corelight\./, "Corelight"],
  [/^logs-endpoint\./, "Elastic Defend on endpoints"],
  [/^logs-azure\./, "Azure"],
  [/^logs-gcp\./, "Google Cloud"],
  [/^logs-network_traffic\.([a-z0-9]+)/, "Packetbeat's $1 protocol decoder"],
  [/^(packetbeat|filebeat|auditbeat)-/, "$1 writing to its own indices"],
];

function describeLack(lack: Lack): string {
  switch (lack.kind) {
    case "index": {
      const product = PRODUCTS.flatMap(([prefix, what]) => {
        const m = prefix.exec(lack.name);
        return m ? [what.replace("$1", m[1] ?? "")] : [];
      })[0];
      return `index \`${lack.name}\`${product ? ` — ${product}, which the lab does not have` : ""}`;
    }
    case "field":
      return `field \`${lack.name}\`, which no lab document the rule reads carries`;
    case "dataset":
      return `data_stream.dataset \`${lack.name}\`, which none of the lab data it reads holds`;
    case "unusable field":
      return lack.why ?? `field ${lack.name}`;
  }
}

/**
 * Every rule of the set as the run met it: fired (an alert in some scenario), silent (it applies to
 * what the lab writes and found nothing), cannot apply (what the lab lacks, for every way the rule
 * could match) or skipped (not run, with the loader's or the backend's reason).
 */
export async function ruleOutcomes(
  backend: Backend,
  rules: readonly Rule[],
  skipped: readonly SkippedRule[],
  run: RunResult,
): Promise<RuleOutcome[]> {
  const data = labData();
  const outcomes: RuleOutcome[] = [];
  for (const rule of rules) {
    const base = { file: basename(rule.file), ruleId: rule.ruleId, name: rule.name, type: rule.type };
    const alerts = Object.fromEntries(
      run.scenarios
        .map((s) => [s.id, s.alerts.filter((a) => a.ruleId === rule.ruleId).length] as const)
        .filter(([, n]) => n > 0),
    );
    const lacks = await ruleLacks(backend, rule, data);
    if (Object.keys(alerts).length > 0)
      outcomes.push({ ...base, outcome: "fired", alerts, ...(lacks.length > 0 ? { lacks } : {}) });
    else if (lacks.length > 0)
      outcomes.push({ ...base, outcome: "cannot apply", lacks, why: lacks.map(describeLack).join("; ") });
    else outcomes.push({ ...base, outcome: "silent" });
  }
  for (const s of skipped)
    outcomes.push({
      file: basename(s.file),
      ...(s.ruleId === undefined ? {} : { ruleId: s.ruleId }),
      name: s.name ?? basename(s.file),
      outcome: "skipped",
      why: s.reason,
    });
  return outcomes.sort(
    (a, b) => OUTCOMES.indexOf(a.outcome) - OUTCOMES.indexOf(b.outcome) || a.name.localeCompare(b.name),
  );
}

export function outcomeCounts(outcomes: readonly RuleOutcome[]): Record<Outcome, number> {
  return Object.fromEntries(
    OUTCOMES.map((o) => [o, outcomes.filter((r) => r.outcome === o).length]),
  ) as Record<Outcome, number>;
}
