import { expect } from "chai";
import { readFileSync } from "node:fs";
import { renderHtml } from "../../harness/report/html.js";
import {
  buildIncidentReport,
  escalatedAlerts,
  renderIncidentMarkdown,
} from "../../harness/report/incident.js";
import type { Enrichment } from "../../harness/escalation/enrichment.js";
import type { RunResult } from "../../harness/result.js";
import { fixture, loadRunFixture } from "./fixture-helpers.js";

type Recorded = Pick<Enrichment, "postScan" | "assetReview">;

/** What escalation found after the live post-scan scenarios (test/fixtures/post-scan/recorded-findings.json). */
function recorded(scenario: string): Recorded {
  const all = JSON.parse(readFileSync(fixture("post-scan", "recorded-findings.json"), "utf8")) as Record<
    string,
    Recorded
  >;
  const found = all[scenario];
  if (!found) throw new Error(`no recorded findings of ${scenario}`);
  return found;
}

/** The recorded escalated run, its scan-then-exploit alerts given the findings of another scenario. */
function runWith(findings: Recorded): RunResult {
  const run = loadRunFixture("escalated-run.json");
  return {
    ...run,
    scenarios: run.scenarios.map((s) => ({
      ...s,
      alerts: s.alerts.map((a) =>
        s.id === "scan-then-exploit" && a.enrichment
          ? { ...a, enrichment: { ...a.enrichment, ...findings } }
          : a,
      ),
    })),
  };
}

function markdownOf(run: RunResult): string {
  const found = escalatedAlerts(run).find((x) => x.scenario.id === "scan-then-exploit");
  if (!found) throw new Error("no Tier 2 alert in scan-then-exploit");
  return renderIncidentMarkdown(buildIncidentReport(run, found.scenario, found.alert));
}

const section = (md: string, title: string) =>
  md.slice(md.indexOf(`## ${title}`), md.indexOf("\n## ", md.indexOf(`## ${title}`) + 1));

describe("post-scan activity in the reports", () => {
  it("lists each secondary action with its evidence and asks for the host's review", () => {
    const md = markdownOf(runWith(recorded("post-scan-ssh-login")));
    const actions = section(md, "Secondary actions after the scan");
    expect(actions).to.match(
      /- 10\.20\.0\.11, logins from the scanning source: 12 login attempts on 10\.20\.0\.11 \(OpenSSH\) as lab: 10 failed, 2 accepted \(lab by password\)/,
    );
    expect(actions).to.include("(evidence: scanproof-auth ");
    expect(actions).to.include("(first 5 of 12)");
    expect(section(md, "Timeline")).to.include("after the scan, logins from the scanning source");
    expect(section(md, "Recommendations")).to.include(
      "review 10.20.0.11 for signs of compromise: logins from the scanning source after the scan",
    );
  });

  it("lists the source's return to a path the scan found, with when it was found and the web documents", () => {
    const md = markdownOf(runWith(recorded("post-scan-web-follow-up")));
    expect(section(md, "Secondary actions after the scan")).to.match(
      /- 10\.20\.0\.10, the scanning source came back for what the scan found: 198\.18\.0\.10 used what the scan found on 10\.20\.0\.10: path \/health \(found [^,]+, 200\) requested at [^ ]+ \(evidence: scanproof-web [^ ]+web\.json\/\d+, /,
    );
    expect(section(md, "Asset review")).to.include(
      "after the scan: the scanning source came back for what the scan found",
    );
    const html = renderHtml(runWith(recorded("post-scan-web-follow-up")));
    expect(html).to.include("after the scan: the scanner used what it found, 10.20.0.10");
  });

  it("reviews each scanned asset: what answered against the inventory, and what followed", () => {
    const md = markdownOf(runWith(recorded("post-scan-callback")));
    expect(section(md, "Asset review")).to.match(
      /- agent \(10\.20\.0\.30, medium\): answered: 4444\/tcp declared \[scanproof-flow [^\]]+\]; after the scan: connections the host opened out/,
    );
    const login = markdownOf(runWith(recorded("post-scan-ssh-login")));
    expect(section(login, "Asset review")).to.include(
      "what answered is unknown (no connection records: switch on the flow sensor)",
    );
  });

  it("says so when nothing followed the scan", () => {
    const md = markdownOf(runWith(recorded("post-scan-benign-follow-up")));
    expect(section(md, "Secondary actions after the scan")).to.include(
      "- no login, outbound connection, large transfer or return to what the scan found followed it",
    );
    expect(section(md, "Asset review")).to.include("nothing followed the scan here");
  });

  it("draws what followed the scan on the HTML timeline, once per kind and host", () => {
    const html = renderHtml(runWith(recorded("post-scan-download")));
    expect(html.match(/after the scan: large transfer to the scanner, 10\.20\.0\.10/g) ?? []).to.have.length(
      2,
    );
    expect(html).to.include('fill="#8250df"');
    const quiet = renderHtml(runWith(recorded("post-scan-benign-follow-up")));
    expect(quiet).to.not.include("after the scan:");
  });
});
