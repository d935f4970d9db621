import { expect } from "chai";
import { join } from "node:path";
import { judge, type Observed } from "../../harness/judge/judge.js";
import { planLab } from "../../harness/lab/topology.js";
import { scenariosDir } from "../../harness/core/paths.js";
import type { AlertSummary, ScenarioResult } from "../../harness/result.js";
import { loadScenario, type Scenario } from "../../harness/scenario/load.js";
import { loadRunFixture } from "./fixture-helpers.js";

/** The scenario file and what its recorded run (test/fixtures/results/escalated-run.json) observed. */
function recorded(id: string): { scenario: Scenario; result: ScenarioResult; observed: Observed } {
  const scenario = loadScenario(join(scenariosDir, `${id}.yaml`));
  const result = loadRunFixture("escalated-run.json").scenarios.find((s) => s.id === id);
  if (!result) throw new Error(`${id} is not in the fixture`);
  return {
    scenario,
    result,
    observed: {
      plan: planLab(scenario),
      groundTruth: result.groundTruth,
      logs: result.logs,
      alerts: result.alerts,
      ...(result.containment ? { containment: result.containment } : {}),
    },
  };
}

const byId = (results: ReturnType<typeof judge>, id: string) => results.find((r) => r.id === id);

describe("judge: containment", () => {
  it("passes the recorded contain-and-rescan run: blocked, 200 denied, flagged by the IDS", () => {
    const { scenario, observed } = recorded("contain-and-rescan");
    const results = judge(scenario, observed);
    expect(
      results.filter((r) => r.id.startsWith("containment")).map((r) => [r.id, r.passed, r.observed]),
    ).to.deep.equal([
      [
        "containment.blocked",
        true,
        "blocked: Tier 2 (external-never-seen, range-of-services): 198.18.0.10 blocked at the firewall and on the IDS block list",
      ],
      ["containment.denied", true, "200 denied, 0 allowed"],
      ["containment.ids_flagged", true, "1 alerts"],
    ]);
  });

  it("fails when anything from the source was still allowed after the block", () => {
    const { scenario, observed } = recorded("contain-and-rescan");
    const leaky = (observed.containment ?? []).map((c) =>
      c.verification ? { ...c, verification: { ...c.verification, allowedAfter: 3 } } : c,
    );
    const denied = byId(judge(scenario, { ...observed, containment: leaky }), "containment.denied");
    expect(denied).to.include({ passed: false, observed: "200 denied, 3 allowed" });
  });

  it("fails when nothing was denied, and when the IDS never flagged the source", () => {
    const { scenario, observed } = recorded("contain-and-rescan");
    const quiet = (observed.containment ?? []).map((c) =>
      c.verification ? { ...c, verification: { ...c.verification, deniedAfter: 0, idsFlags: 0 } } : c,
    );
    const results = judge(scenario, { ...observed, containment: quiet });
    expect(byId(results, "containment.denied")?.passed).to.equal(false);
    expect(byId(results, "containment.ids_flagged")?.passed).to.equal(false);
  });

  it("fails when the contain step did not block (the tier stayed below Tier 2)", () => {
    const { scenario, observed } = recorded("contain-and-rescan");
    const notBlocked = (observed.containment ?? []).map(({ verification, ...c }) => ({
      ...c,
      blocked: false,
      tier: "l1" as const,
      reason: "the highest tier for 198.18.0.10 is l1: the playbook contains at Tier 2 only",
    }));
    const results = judge(scenario, { ...observed, containment: notBlocked });
    expect(byId(results, "containment.blocked")).to.include({ passed: false });
    expect(byId(results, "containment.denied")).to.include({ passed: false, observed: "nothing verified" });
  });

  it("fails when no contain step ran", () => {
    const { scenario, observed } = recorded("contain-and-rescan");
    const { containment, ...without } = observed;
    expect(byId(judge(scenario, without), "containment.blocked")).to.include({
      passed: false,
      observed: "no contain step ran",
    });
  });
});

describe("judge: enrichment", () => {
  it("passes the recorded scan-then-exploit run: exploit 9101020 linked, investigate next", () => {
    const { scenario, observed } = recorded("scan-then-exploit");
    const results = judge(scenario, observed).filter((r) => r.id.includes(".enrichment."));
    expect(results.map((r) => [r.id, r.passed, r.observed])).to.deep.equal([
      ["alerts[0].enrichment.exploit_signatures", true, "9101020"],
      ["alerts[0].enrichment.next_action", true, "investigate"],
    ]);
  });

  it("fails when the exploit attempt was not linked", () => {
    const { scenario, observed } = recorded("scan-then-exploit");
    const alerts = observed.alerts.map((a) =>
      a.enrichment ? { ...a, enrichment: { ...a.enrichment, exploitAttempts: [] } } : a,
    );
    expect(
      byId(judge(scenario, { ...observed, alerts }), "alerts[0].enrichment.exploit_signatures"),
    ).to.include({
      passed: false,
      observed: "none",
    });
  });

  it("checks reputation, history, CVEs, advisories and patterns of every matching alert", () => {
    const scenario = loadScenario(join(scenariosDir, "enrichment-known-bad-source.yaml"));
    const { observed } = recorded("scan-then-exploit");
    const plan = planLab(scenario);
    const results = judge(scenario, { ...observed, plan }).filter((r) => r.id.includes(".enrichment."));
    expect(results.map((r) => [r.id, r.passed, r.observed])).to.deep.equal([
      ["alerts[0].enrichment.reputation", false, "unknown"],
      ["alerts[0].enrichment.seen_before", true, "0 earlier events"],
      ["alerts[0].enrichment.patterns", true, "nmap-default-port-scan (medium)"],
      ["alerts[0].enrichment.cves", false, "none"],
      ["alerts[0].enrichment.advisories", false, "none"],
      ["alerts[0].enrichment.next_action", false, "investigate"],
    ]);
  });

  it("fails every enrichment item when no alert matched", () => {
    const { scenario, observed } = recorded("scan-then-exploit");
    const results = judge(scenario, { ...observed, alerts: [] }).filter((r) => r.id.includes(".enrichment."));
    expect(results.every((r) => !r.passed && r.observed === "no alert")).to.equal(true);
  });
});

describe("judge: enrichment of every matching alert", () => {
  const { observed } = recorded("scan-then-exploit");
  const scenario = loadScenario(join(scenariosDir, "enrichment-known-bad-source.yaml"));
  const plan = planLab(scenario);
  const [base] = observed.alerts;
  if (!base?.enrichment || !base.nextAction) throw new Error("the recorded alert has no enrichment");
  const { enrichment, nextAction } = base;
  const [service] = enrichment.targetedServices;
  if (!service) throw new Error("the recorded alert targets no service");
  const advisory = (cve: string) => ({
    cve,
    title: cve,
    published: "2026-11-01",
    address: service.address,
    port: service.port,
    protocol: service.protocol,
    matchedBy: "port" as const,
  });
  /** The recorded alert, enriched the way enrichment-known-bad-source.yaml expects. */
  const enriched = (
    change: (e: typeof enrichment) => Partial<typeof enrichment> = () => ({}),
  ): AlertSummary => {
    const good = {
      ...enrichment,
      reputation: { verdict: "malicious" as const, message: "listed" },
      targetedServices: [{ ...service, cves: ["CVE-2024-6387"] }],
      advisories: [advisory("CVE-2024-6387"), advisory("CVE-2023-48795")],
    };
    return {
      ...base,
      nextAction: { ...nextAction, action: "block" },
      enrichment: { ...good, ...change(good) },
    };
  };
  const outcomes = (alerts: readonly AlertSummary[]) =>
    Object.fromEntries(
      judge(scenario, { ...observed, plan, alerts })
        .filter((r) => r.id.startsWith("alerts[0].enrichment."))
        .map((r) => [r.id.slice("alerts[0].enrichment.".length), r.passed]),
    );

  it("passes each item an alert has", () => {
    expect(outcomes([enriched()])).to.deep.equal({
      reputation: true,
      seen_before: true,
      patterns: true,
      cves: true,
      advisories: true,
      next_action: true,
    });
  });

  it("checks the next action only when the scenario names one", () => {
    const [want, ...rest] = scenario.expect.alerts;
    if (!want?.enrichment) throw new Error("the scenario expects enrichment");
    const { next_action: _unasked, ...enrichmentWanted } = want.enrichment;
    const unasked = {
      ...scenario,
      expect: { ...scenario.expect, alerts: [{ ...want, enrichment: enrichmentWanted }, ...rest] },
    };
    const ids = judge(unasked, { ...observed, plan, alerts: [enriched()] }).map((r) => r.id);
    expect(ids)
      .to.include("alerts[0].enrichment.reputation")
      .and.not.include("alerts[0].enrichment.next_action");
  });

  it("fails an item one of the matching alerts lacks, though another has it", () => {
    const unknown = enriched(() => ({ reputation: { verdict: "unknown", message: "not listed" } }));
    expect(outcomes([enriched(), unknown])).to.include({ reputation: false, cves: true });
  });

  it("fails a list item when the alert has only some of the expected entries", () => {
    const oneAdvisory = enriched((e) => ({ advisories: e.advisories.slice(0, 1) }));
    expect(outcomes([oneAdvisory])).to.include({ advisories: false, cves: true });
  });

  it("judges seen_before by earlier events, and fails it without any history", () => {
    const seen = enriched((e) => ({ history: { ...e.history, priorEvents: 3 } }));
    expect(outcomes([seen])).to.include({ seen_before: false });
    const { enrichment: _none, nextAction: _noAction, ...bare } = enriched();
    const results = judge(scenario, { ...observed, plan, alerts: [bare] });
    expect(byId(results, "alerts[0].enrichment.seen_before")).to.include({
      passed: false,
      observed: "no history",
    });
    expect(byId(results, "alerts[0].enrichment.reputation")).to.include({ passed: false, observed: "none" });
    for (const item of ["patterns", "cves", "advisories"])
      expect(byId(results, `alerts[0].enrichment.${item}`)).to.include({ passed: false, observed: "none" });
    expect(byId(results, "alerts[0].enrichment.next_action")).to.include({
      passed: false,
      observed: "none given",
    });
  });
});

describe("judge: the volume's baseline", () => {
  const { scenario, observed } = recorded("scan-then-exploit");
  const plan = observed.plan;
  const [want, ...rest] = scenario.expect.alerts;
  const [alert] = observed.alerts;
  const asking = (baseline: boolean) => ({
    ...scenario,
    expect: {
      ...scenario.expect,
      alerts: [
        { ...(want ?? expect.fail("no expected alert")), enrichment: { ...emptyEnrichment, baseline } },
        ...rest,
      ],
    },
  });
  const emptyEnrichment = { patterns: [], cves: [], advisories: [], exploit_signatures: [] };
  const withBaseline = (perWindow: number | undefined): AlertSummary => {
    const base = alert ?? expect.fail("no recorded alert");
    const analysis = base.analysis ?? expect.fail("the recorded alert has no analysis");
    const { baselinePerWindow: _old, ...volume } = analysis.volume;
    return {
      ...base,
      analysis: {
        ...analysis,
        volume: perWindow === undefined ? volume : { ...volume, baselinePerWindow: perWindow },
      },
    };
  };
  const outcome = (baseline: boolean, perWindow: number | undefined) =>
    byId(
      judge(asking(baseline), { ...observed, plan, alerts: [withBaseline(perWindow)] }),
      "alerts[0].enrichment.baseline",
    );

  it("passes a baseline asked for when the volume was compared with one, and fails it when not", () => {
    expect(outcome(true, 12.5)).to.include({ passed: true, observed: "12.5 events per window" });
    expect(outcome(true, undefined)).to.include({ passed: false, observed: "no baseline" });
    expect(outcome(true, 0)).to.include({ passed: false });
  });

  it("passes the absence of a baseline only when there was none", () => {
    expect(outcome(false, undefined)).to.include({ passed: true });
    expect(outcome(false, 3)).to.include({ passed: false });
  });
});

describe("judge: containment of the named source", () => {
  const { scenario, observed } = recorded("contain-and-rescan");
  const records = observed.containment ?? [];

  it("looks only at the record of the attacker, not at another source's", () => {
    const other = records.map((c) => ({ ...c, source: "198.18.0.99" }));
    expect(byId(judge(scenario, { ...observed, containment: other }), "containment.blocked")).to.include({
      passed: false,
      observed: "no contain step ran",
    });
    const want = scenario.expect.containment;
    if (!want) throw new Error("contain-and-rescan expects containment");
    const byAddress = {
      ...scenario,
      expect: { ...scenario.expect, containment: { ...want, source: "198.18.0.99" } },
    };
    expect(byId(judge(byAddress, { ...observed, containment: other }), "containment.blocked")).to.include({
      passed: true,
    });
  });

  it("checks denial and the IDS only when the source should be blocked", () => {
    const want = scenario.expect.containment;
    if (!want) throw new Error("contain-and-rescan expects containment");
    const leftAlone = {
      ...scenario,
      expect: { ...scenario.expect, containment: { ...want, blocked: false } },
    };
    const ids = judge(leftAlone, observed)
      .map((r) => r.id)
      .filter((id) => id.startsWith("containment"));
    expect(ids).to.deep.equal(["containment.blocked"]);
  });
});
