import { mkdtempSync, readdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { XMLValidator } from "fast-xml-parser";
import type { Backend } from "../../harness/backend/backend.js";
import { SOURCE_INDEX } from "../../harness/backend/templates.js";
import { startLab } from "../../harness/lab/lab.js";
import { type StartedLab } from "../../harness/lab/started-lab.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import { planLab } from "../../harness/lab/topology.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { awaitIngest, scenarioFilter } from "../../harness/logs/accounting.js";
import { renderHtml } from "../../harness/report/html.js";
import { renderJunit } from "../../harness/report/junit.js";
import { renderSummary } from "../../harness/report/terminal.js";
import type { RunResult } from "../../harness/result.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { runStep } from "../../harness/scanners/run-step.js";
import { sharedBackend } from "./shared-backend.js";

/** Every way a shell would run `touch /tmp/pwned-…` if a field ever reached one. */
const SHELL_PATHS = [
  "/$(touch${IFS}/tmp/pwned-subshell)",
  "/;touch /tmp/pwned-semicolon",
  "/`touch /tmp/pwned-backtick`",
  "/x|touch /tmp/pwned-pipe&&touch /tmp/pwned-and>/tmp/pwned-redirect",
];
const SHELL_PAYLOAD = "$(touch /tmp/pwned-nmap); `touch /tmp/pwned-nmap2` | touch /tmp/pwned-nmap3 #";

/**
 * A User-Agent an attacker controls: quotes, backslashes, JSON that would pass for ECS, ANSI
 * colours and a screen clear, BEL, a tab, markup, a shell substitution, and text that only looks
 * like a line break. (A real line break cannot be in an HTTP header: nginx ends the header there.)
 */
const HOSTILE_USER_AGENT =
  'Mozilla/5.0 "quoted" \\back\\slash {"event":{"kind":"alert"},"labels":{"scanproof_run_id":"x"}} ' +
  "\u001b[31mred\u001b[0m\u001b[2J\u0007 <script>alert(1)</script> $(id) \ttab \\n not-a-newline ü 日本";

async function pwnedFiles(lab: StartedLab): Promise<string> {
  const hosts = [lab.attacker, ...lab.targets.values()];
  const found = await Promise.all(
    hosts.map((h) => lab.exec(h, ["find", "/tmp", "/", "-maxdepth", "1", "-name", "pwned-*"])),
  );
  return found.map((r) => r.stdout.trim()).join("");
}

describe("hostile input in a real lab (real Docker, shipper, Elasticsearch)", function () {
  const teardown = new Teardown();
  const workDir = mkdtempSync(join(tmpdir(), "scanproof-hostile-lab-"));
  let backend: Backend;
  let lab: StartedLab;
  let guard: ScopeGuard;

  before(async function () {
    backend = await sharedBackend();
    lab = await startLab({
      runId: newRunId(),
      scenarioId: "hostile-input",
      plan: planLab({ lab: { targets: [{ name: "web", kind: "web" }] } }),
      sensors: [],
      backend,
      workDir,
      teardown,
    });
    guard = new ScopeGuard(lab.subnets, new Map([["web", lab.targets.get("web")?.address ?? ""]]));
  });

  after(() => teardown.run());

  it("passes shell metacharacters in step fields to the tools as plain text: nothing runs, every request is logged as sent", async function () {
    const http = await runStep(
      lab,
      { tool: "http", from: "attacker", target: "web", paths: SHELL_PATHS, repeat: 1 },
      0,
      guard,
      workDir,
    );
    const nmap = await runStep(
      lab,
      {
        tool: "nmap",
        from: "attacker",
        target: "web",
        args: ["-n", "-Pn", "-sS", "-p", "80", "--data-string", SHELL_PAYLOAD],
      },
      1,
      guard,
      workDir,
    );
    expect(await pwnedFiles(lab)).to.equal("");
    expect(readdirSync(tmpdir()).filter((f) => f.startsWith("pwned-"))).to.deep.equal([]);
    const web = await awaitIngest(backend, lab, "web", [http, nmap], Date.now(), 60_000);
    expect(web.expectedEvents).to.equal(SHELL_PATHS.length);
    expect({ seen: web.seenEvents, indexed: web.indexed, parseFailures: web.parseFailures }).to.deep.equal({
      seen: SHELL_PATHS.length,
      indexed: web.sensorRecords,
      parseFailures: 0,
    });
  });

  describe("an attacker-controlled User-Agent", function () {
    let indexed: string;

    before(async function () {
      const sent = await lab.exec(lab.attacker, [
        "curl",
        "--silent",
        "--output",
        "/dev/null",
        "--write-out",
        "%{http_code}",
        "--user-agent",
        HOSTILE_USER_AGENT,
        `http://${lab.targets.get("web")?.address ?? ""}/hostile-user-agent`,
      ]);
      expect(sent.stdout).to.equal("404");
      const report = await awaitIngest(backend, lab, "web", [], Date.now(), 60_000);
      expect(report.parseFailures, "nginx's JSON line still parses").to.equal(0);
      expect(report.indexed).to.equal(report.sensorRecords);
      const found = await backend.client.search<{
        user_agent?: { original?: string };
        event?: { kind?: string };
      }>({
        index: SOURCE_INDEX.web,
        query: {
          bool: { filter: [...scenarioFilter(lab), { term: { "url.path": "/hostile-user-agent" } }] },
        },
      });
      expect(found.hits.hits).to.have.length(1);
      const source = found.hits.hits[0]?._source;
      expect(source?.event?.kind, "JSON inside the User-Agent stays text").to.equal("event");
      indexed = source?.user_agent?.original ?? "";
    });

    it("is indexed byte for byte as it was sent", function () {
      expect(indexed).to.equal(HOSTILE_USER_AGENT);
    });

    it("is shown escaped in the terminal, JUnit and HTML reports", function () {
      const run: RunResult = {
        runId: lab.runId,
        startedAt: new Date(0).toISOString(),
        endedAt: new Date(0).toISOString(),
        backend: backend.description,
        rules: { loaded: [], skipped: [] },
        resultsDir: workDir,
        scenarios: [
          {
            id: "hostile-input",
            title: "hostile",
            file: "hostile.yaml",
            technique: "T1595",
            tags: [],
            verdict: "fail",
            durationMs: 1,
            timings: {},
            groundTruth: [],
            logs: [],
            alerts: [],
            expectations: [
              { id: "ua", description: "the User-Agent", passed: false, expected: "none", observed: indexed },
            ],
          },
        ],
      };
      const terminal = renderSummary(run);
      // eslint-disable-next-line no-control-regex -- control characters are what is looked for
      expect(terminal).not.to.match(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      expect(terminal).to.include("<script>alert(1)</script> $(id)");
      const junit = renderJunit(run);
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- its successor, fast-xml-validator, is not a dependency
      expect(XMLValidator.validate(junit)).to.equal(true);
      expect(junit).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
      const html = renderHtml(run);
      expect(html).not.to.include("<script>alert(1)");
      expect(html).to.include("&lt;script&gt;alert(1)&lt;/script&gt;");
      expect(html).not.to.include("\u001b");
    });
  });
});
