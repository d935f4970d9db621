import { expect } from "chai";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildIncidentReport,
  escalatedAlerts,
  renderIncidentJson,
  renderIncidentMarkdown,
} from "../../harness/report/incident.js";
import { writeReports } from "../../harness/report/write-reports.js";
import type { AlertSummary, RunResult } from "../../harness/result.js";
import { loadRunFixture } from "./fixture-helpers.js";

/** Recorded on 2026-11-28: scenarios/scan-then-exploit.yaml and scenarios/contain-and-rescan.yaml. */
const run = (): RunResult => loadRunFixture("escalated-run.json");

function reportOf(scenarioId: string) {
  const r = run();
  const found = escalatedAlerts(r).find((x) => x.scenario.id === scenarioId);
  if (!found) throw new Error(`no Tier 2 alert in ${scenarioId}`);
  return buildIncidentReport(r, found.scenario, found.alert);
}

describe("incident report", () => {
  it("is written for every Tier 2 alert that carries its escalation details, and only those", () => {
    const r = run();
    expect(escalatedAlerts(r).map((x) => x.scenario.id)).to.deep.equal([
      "scan-then-exploit",
      "contain-and-rescan",
    ]);
    const [first] = r.scenarios;
    const stripped: AlertSummary[] = (first?.alerts ?? []).map(
      ({ analysis, enrichment, nextAction, ...rest }) => rest,
    );
    const older: RunResult = {
      ...r,
      scenarios: [{ ...(first as NonNullable<typeof first>), alerts: stripped }],
    };
    expect(escalatedAlerts(older)).to.deep.equal([]);
  });

  it("follows the playbook's structure", () => {
    expect(Object.keys(reportOf("contain-and-rescan"))).to.deep.equal([
      "schemaVersion",
      "id",
      "runId",
      "scenario",
      "summary",
      "source",
      "targets",
      "timeline",
      "secondaryActions",
      "assetReview",
      "indicators",
      "analysis",
      "decision",
      "containment",
      "recommendations",
    ]);
  });

  it("summarises the scan, the reasons and the containment", () => {
    const report = reportOf("contain-and-rescan");
    expect(report.summary).to.include(
      'Tier 2: "Vertical Port Scan Seen by the Firewall" fired for 198.18.0.10 (external)',
    );
    expect(report.summary).to.include("2 reasons (external-never-seen, range-of-services)");
    expect(report.summary).to.match(
      /Contained at 2026-11-28T\S+: blocked at the firewall, 200 later events denied\./,
    );
  });

  it("puts the scan, the IDS signatures and the containment on one timeline in time order", () => {
    const timeline = reportOf("contain-and-rescan").timeline;
    const times = timeline.map((t) => t.at);
    expect(times).to.deep.equal([...times].sort());
    const what = timeline.map((t) => t.what);
    expect(
      what.some((w) => w.startsWith("contained: nft add element inet scanproof blocklist { 198.18.0.10 }")),
    ).to.equal(true);
    expect(what).to.include("first denied event after the block (firewall)");
    expect(what.some((w) => w.startsWith("IDS 9101001"))).to.equal(true);
  });

  it("links the exploit attempt and recommends checking the target", () => {
    const report = reportOf("scan-then-exploit");
    expect(report.decision.reasons.map((r) => r.code)).to.include("exploit-attempt");
    expect(report.timeline.map((t) => t.what)).to.include(
      'exploit attempt linked: IDS 9101020 "SCANPROOF exploit attempt: directory traversal to /etc/passwd"',
    );
    expect(report.recommendations).to.include(
      "review 10.20.0.10 for signs of compromise after the exploit attempts",
    );
  });

  it("recommends the firewall rule when nothing was contained, and not when it was", () => {
    expect(reportOf("scan-then-exploit").recommendations).to.include(
      'block at the perimeter: nft insert rule inet filter forward ip saddr 198.18.0.10 counter log prefix "blocked scanner " drop',
    );
    expect(
      reportOf("contain-and-rescan").recommendations.some((r) => r.startsWith("block at the perimeter")),
    ).to.equal(false);
  });

  it("lists indicators: source, ports, transports, flags, IDS signatures and methods", () => {
    const i = reportOf("contain-and-rescan").indicators;
    expect(i.sourceAddress).to.equal("198.18.0.10");
    expect(i.transports).to.have.members(["tcp", "icmp"]);
    expect(i.idsSignatures.map((s) => s.id)).to.include.members(["9100001", "9101001"]);
    expect(i.methods).to.include("nmap (IDS signature)");
  });

  it("renders the same report as JSON", () => {
    const report = reportOf("contain-and-rescan");
    expect(JSON.parse(renderIncidentJson(report))).to.deep.equal(report);
  });

  it("renders Markdown with every section of the playbook and the four analysis questions", () => {
    const md = renderIncidentMarkdown(reportOf("contain-and-rescan"));
    const headings = md.split("\n").filter((l) => l.startsWith("## "));
    expect(headings).to.deep.equal([
      "## Summary",
      "## Source",
      "## Targets",
      "## Timeline",
      "## Secondary actions after the scan",
      "## Asset review",
      "## Indicators",
      "## Analysis",
      "## Decision",
      "## Containment performed",
      "## Recommendations",
    ]);
    for (const q of [
      "Is the source internal or known?",
      "Which ports and services were targeted?",
      "What is the volume compared with the baseline?",
      "Has similar activity been seen recently?",
    ])
      expect(md).to.include(`**${q}**`);
  });

  it("shows attacker-controlled text as text in Markdown", () => {
    const report = reportOf("scan-then-exploit");
    const hostile = {
      ...report,
      decision: {
        ...report.decision,
        rule: {
          ...report.decision.rule,
          name: "<img src=x onerror=alert(1)> | [link](http://x) `code`\n# heading",
        },
      },
    };
    const md = renderIncidentMarkdown(hostile);
    expect(md).to.not.match(/(^|[^\\])<img/m);
    expect(md).to.include("\\<img src=x onerror=alert(1)\\> \\| \\[link\\](http://x) \\`code\\` # heading");
  });

  it("is written under incidents/<scenario>/ beside the run's reports", () => {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-incidents-"));
    try {
      const files = writeReports(run(), dir);
      expect(files.incidents.map((f) => f.slice(dir.length + 1)).sort()).to.deep.equal(
        escalatedAlerts(run())
          .flatMap(({ scenario, alert }) => [
            `incidents/${scenario.id}/${alert.id}.json`,
            `incidents/${scenario.id}/${alert.id}.md`,
          ])
          .sort(),
      );
      const folder = join(dir, "incidents", "contain-and-rescan");
      const json = readdirSync(folder).find((f) => f.endsWith(".json")) ?? "";
      expect(JSON.parse(readFileSync(join(folder, json), "utf8"))).to.deep.equal(
        reportOf("contain-and-rescan"),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
