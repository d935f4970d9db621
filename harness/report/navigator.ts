import type { RunResult, ScenarioResult } from "../result.js";
import { compareCodePoints } from "./json.js";

/** Results written before ScenarioResult carried its scenario's tags have none. */
interface LayerTechnique {
  readonly techniqueID: string;
  readonly score: number;
  readonly comment: string;
  readonly enabled: true;
  readonly showSubtechniques: true;
}

const BENIGN_TAG = "benign";

const GRADIENT = { colors: ["#ff6666", "#ffe766", "#8ec843"], minValue: 0, maxValue: 100 } as const;

const LEGEND = [
  { label: "every scenario of the technique passed (100)", color: "#8ec843" },
  { label: "half of its scenarios passed (50)", color: "#ffe766" },
  { label: "few of its scenarios passed (near 0)", color: "#ff6666" },
] as const;

function isBenign(scenario: ScenarioResult): boolean {
  return scenario.tags.includes(BENIGN_TAG);
}

function passed(scenarios: readonly ScenarioResult[]): ScenarioResult[] {
  return scenarios.filter((s) => s.verdict === "pass");
}

/** 0–100: how much of what was tried under a technique was proven. */
function passShare(scenarios: readonly ScenarioResult[]): number {
  return (100 * passed(scenarios).length) / scenarios.length;
}

function parentOf(technique: string): string {
  return technique.split(".")[0] ?? technique;
}

function groupBy(
  scenarios: readonly ScenarioResult[],
  key: (s: ScenarioResult) => string,
): Map<string, ScenarioResult[]> {
  const groups = new Map<string, ScenarioResult[]>();
  for (const s of scenarios) groups.set(key(s), [...(groups.get(key(s)) ?? []), s]);
  return groups;
}

function firedRules(scenarios: readonly ScenarioResult[]): string[] {
  return [...new Set(scenarios.flatMap((s) => s.alerts.map((a) => `${a.ruleName} (${a.ruleId})`)))];
}

function provenBy(scenarios: readonly ScenarioResult[]): string {
  const proven = passed(scenarios);
  const rules = firedRules(proven);
  return `passed ${proven.length}/${scenarios.length}: ${proven.map((s) => s.id).join(", ")}; rules fired: ${rules.length > 0 ? rules.join(", ") : "none"}`;
}

function entry(techniqueID: string, score: number, comment: string): LayerTechnique {
  return { techniqueID, score: Math.round(score), comment, enabled: true, showSubtechniques: true };
}

function subTechniqueEntry(technique: string, scenarios: readonly ScenarioResult[]): LayerTechnique {
  return entry(technique, passShare(scenarios), provenBy(scenarios));
}

function subTechniqueShares(parent: string, family: readonly ScenarioResult[]) {
  const subTechniques = family.filter((s) => s.technique !== parent);
  return [...groupBy(subTechniques, (s) => s.technique)]
    .sort(([a], [b]) => compareCodePoints(a, b))
    .map(([technique, scenarios]) => ({ technique, share: passShare(scenarios) }));
}

/** The mean of the sub-techniques the run exercised, or its own share when only the parent was tried. */
function parentEntry(parent: string, family: readonly ScenarioResult[]): LayerTechnique {
  const shares = subTechniqueShares(parent, family);
  if (shares.length === 0) return entry(parent, passShare(family), provenBy(family));
  const mean = shares.reduce((sum, s) => sum + s.share, 0) / shares.length;
  const parts = shares.map((s) => `${s.technique} ${Math.round(s.share)}`).join(", ");
  return entry(parent, mean, `mean of ${parts}; ${provenBy(family)}`);
}

function provenTechniques(scenarios: readonly ScenarioResult[]): LayerTechnique[] {
  const entries: LayerTechnique[] = [];
  for (const [parent, family] of groupBy(scenarios, (s) => parentOf(s.technique))) {
    if (passed(family).length > 0) entries.push(parentEntry(parent, family));
  }
  for (const [technique, group] of groupBy(scenarios, (s) => s.technique)) {
    if (technique !== parentOf(technique) && passed(group).length > 0)
      entries.push(subTechniqueEntry(technique, group));
  }
  return entries.sort((a, b) => compareCodePoints(a.techniqueID, b.techniqueID));
}

function description(run: RunResult, benign: readonly ScenarioResult[]): string {
  return [
    `Detection coverage proven end to end by scanproof run ${run.runId} (${run.startedAt}, ${run.backend}).`,
    "A sub-technique's score is the share of its scenarios that passed: probes logged, every record indexed, the rules fired and escalated as expected.",
    "A parent's score is the mean over the sub-techniques the run exercised. Techniques without a passing scenario are absent.",
    `false-positive checks passed: ${passed(benign).length}/${benign.length}`,
  ].join(" ");
}

/** An ATT&CK Navigator layer of what the run proved: only passing scenarios put a technique on it. */
export function renderNavigatorLayer(run: RunResult): string {
  const benign = run.scenarios.filter(isBenign);
  const layer = {
    name: `scanproof ${run.runId}`,
    versions: { attack: "16", navigator: "5.1.0", layer: "4.5" },
    domain: "enterprise-attack",
    description: description(run, benign),
    layout: { layout: "side", showID: true, showName: true },
    hideDisabled: false,
    techniques: provenTechniques(run.scenarios.filter((s) => !isBenign(s))),
    gradient: GRADIENT,
    legendItems: LEGEND,
    metadata: [
      { name: "run", value: run.runId },
      { name: "backend", value: run.backend },
    ],
  };
  return `${JSON.stringify(layer, null, 2)}\n`;
}
