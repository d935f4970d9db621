import { expect } from "chai";
import { join } from "node:path";
import { scenariosDir } from "../../harness/core/paths.js";
import { loadScenario } from "../../harness/scenario/load.js";
import type { HistoryEntrySpec } from "../../harness/scenario/schema.js";
import { scenarioScopeProblems } from "../../harness/scenario/scope.js";
import { occurrences, ruleMoments } from "../../harness/run/history.js";
import { formatProblem, type Problem } from "../../harness/core/problems.js";
import { fixture, inputErrorOf, lineOf, onlyProblem, shownAs } from "./fixture-helpers.js";

const scenario = (name: string): string => fixture("scenarios", "unit", name);

describe("loadScenario", () => {
  describe("valid files", () => {
    it("loads scenarios/nmap-syn-top1000.yaml", () => {
      const s = loadScenario(join(scenariosDir, "nmap-syn-top1000.yaml"));
      expect(s.id).to.equal("nmap-syn-top1000");
      expect(s.technique).to.equal("T1595.001");
      expect(s.steps[0]).to.include({ tool: "nmap", from: "attacker", target: "web" });
      expect(s.expect.alerts[0]).to.include({ count: 1, tier: "tier2", within: 30_000 });
    });

    it("loads scenarios/benign-web-browsing.yaml", () => {
      const s = loadScenario(join(scenariosDir, "benign-web-browsing.yaml"));
      expect(s.id).to.equal("benign-web-browsing");
      expect(s.expect.silent).to.equal(true);
      expect(s.expect.alerts).to.deep.equal([]);
    });

    it("names the file relative to the working directory", () => {
      const path = scenario("valid-minimal.yaml");
      expect(loadScenario(path).file).to.equal(shownAs(path));
    });

    it("fills in every default of a minimal scenario", () => {
      const s = loadScenario(scenario("valid-minimal.yaml"));
      expect(s.description).to.equal("");
      expect(s.tags).to.deep.equal([]);
      expect(s.steps[0]).to.deep.equal({ tool: "nmap", from: "attacker", target: "web", args: [] });
      expect(s.lab.sensors).to.deep.equal([]);
      expect(s.expect).to.deep.equal({ logs: [], ids_signatures: [], alerts: [], absent: [], silent: true });
      expect(s.lab.hosts).to.deep.equal([]);
    });

    it("keeps explicit values and fills defaults of alert expectations", () => {
      const s = loadScenario(scenario("valid-full.yaml"));
      expect(s.lab.targets[1]).to.deep.equal({
        name: "bastion",
        kind: "ssh",
        address: "10.20.0.11",
        network: "dmz",
        ports: {},
        filtered: [],
      });
      expect(s.steps[1]).to.deep.equal({
        tool: "http",
        from: "attacker",
        target: "web",
        paths: ["/", "/health"],
        repeat: 2,
      });
      expect(s.expect.alerts[0]).to.deep.equal({
        rule: "vertical-port-scan",
        from: "attacker",
        count: 1,
        reasons: [],
        absent_reasons: [],
        within: 120_000,
      });
    });

    it("converts durations in ms, s and m to milliseconds", () => {
      const s = loadScenario(scenario("valid-full.yaml"));
      expect(s.expect.alerts.map((a) => a.within)).to.deep.equal([120_000, 500, 45_000]);
    });
  });

  describe("schema problems", () => {
    it("reports an unknown top-level key on its line with an empty path", () => {
      const path = scenario("unknown-key-top.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 4)).to.equal("colour: blue");
      expect(p).to.include({ file: shownAs(path), line: 4, path: "", message: 'unknown key "colour"' });
    });

    it("reports a log source no target of the lab writes, naming the kind that writes it", () => {
      const path = scenario("auth-log-without-ssh.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 13)).to.equal("  logs: [firewall, web, auth]");
      expect(p).to.include({
        line: 13,
        path: "expect.logs[2]",
        message: "this lab has no auth log: add a target of kind ssh or ftp or db or telnet or smb",
      });
    });

    it("reports an unknown nested key with the path of the object that holds it", () => {
      const path = scenario("unknown-key-nested.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 8)).to.equal("      port: 8080");
      expect(p).to.include({
        file: shownAs(path),
        line: 8,
        path: "lab.targets[0]",
        message: 'unknown key "port"',
      });
    });

    it("reports an unknown key whose value is a block list on the key's own line and column", () => {
      const path = scenario("unknown-key-block-value.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 8)).to.equal("      services:");
      expect(p).to.include({ line: 8, column: 7, path: "lab.targets[0]", message: 'unknown key "services"' });
      const top = onlyProblem(() => loadScenario(scenario("unknown-key-top.yaml")));
      expect(top).to.include({ line: 4, column: 1 });
    });

    it("reports a value of the wrong type at the value", () => {
      const path = scenario("wrong-type.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 12)).to.equal("    repeat: often");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 12,
        column: 13,
        path: "steps[0].repeat",
        message: "expected number, received string",
      });
    });

    it("reports a target kind outside the enum, naming the allowed kinds", () => {
      const path = scenario("bad-kind.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 7)).to.equal("      kind: gopher");
      expect(p).to.include({ file: shownAs(path), line: 7, column: 13, path: "lab.targets[0].kind" });
      expect(p.message).to.include('"web"').and.to.include('"ssh"');
    });

    it("reports a technique other than T1595 and its sub-techniques", () => {
      const path = scenario("bad-technique.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 3)).to.equal("technique: T1046");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 3,
        column: 12,
        path: "technique",
        message: "T1595, T1595.001, T1595.002 or T1595.003",
      });
    });

    it("reports a duration in words in expect.alerts[].within", () => {
      const path = scenario("bad-duration.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 14)).to.equal("      within: 30 seconds");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 14,
        column: 15,
        path: "expect.alerts[0].within",
        message: "a duration such as 500ms, 30s or 2m",
      });
    });

    it("reports every schema problem of a file at once", () => {
      const path = scenario("several-problems.yaml");
      const { problems } = inputErrorOf(() => loadScenario(path));
      const where = (p: Problem) => `${p.line}:${p.path}`;
      expect(problems.map(where)).to.have.members([
        "3:technique",
        "7:lab.targets[0].kind",
        "11:steps[0]",
        "15:expect.alerts[0].within",
      ]);
      expect(problems.find((p) => p.path === "steps[0]")?.message).to.equal('unknown key "speed"');
      expect(problems.every((p) => p.file === shownAs(path))).to.equal(true);
    });

    it("lists every problem in the error message as file:line:column", () => {
      const path = scenario("several-problems.yaml");
      const error = inputErrorOf(() => loadScenario(path));
      expect(error.message.split("\n")).to.have.lengthOf(4);
      expect(error.message).to.include(
        `${shownAs(path)}:3:12: technique: T1595, T1595.001, T1595.002 or T1595.003`,
      );
    });
  });

  describe("cross-field problems", () => {
    it("reports a target name used twice at the second one", () => {
      const path = scenario("duplicate-target.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 8)).to.equal("    - name: web");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 8,
        column: 13,
        path: "lab.targets[1].name",
        message: '"web" is already taken in this lab',
      });
    });

    it('refuses a target named "attacker"', () => {
      const path = scenario("target-named-attacker.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 8)).to.equal("    - name: attacker");
      expect(p).to.include({
        line: 8,
        column: 13,
        path: "lab.targets[1].name",
        message: '"attacker" is already taken in this lab',
      });
    });

    it("refuses a step sent from a target", () => {
      const path = scenario("step-from-target.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 12)).to.equal("    from: ssh");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 12,
        column: 11,
        path: "steps[0].from",
        message: '"ssh" cannot send traffic; use one of "attacker"',
      });
    });

    it("refuses a silent scenario that also expects alerts", () => {
      const path = scenario("silent-with-alerts.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 12)).to.equal("  silent: true");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 12,
        column: 11,
        path: "expect.silent",
        message: "a silent scenario cannot also expect alerts",
      });
    });

    it("refuses a scenario that lists no alert and is not silent, at its expect key", () => {
      const path = scenario("no-alerts-not-silent.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 12)).to.equal("expect:");
      expect(p).to.deep.equal({
        file: shownAs(path),
        line: 12,
        column: 1,
        path: "expect",
        message:
          "lists no alert and is not silent: list in expect.alerts the alerts that must fire, or set `silent: true` if no rule may fire",
      });
      expect(formatProblem(p)).to.equal(
        `${shownAs(path)}:12:1: expect: lists no alert and is not silent: list in expect.alerts the alerts that must fire, or set \`silent: true\` if no rule may fire`,
      );
    });

    it("refuses an empty alert list with silent: false spelled out just the same", () => {
      const path = scenario("empty-alerts-not-silent.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(p).to.include({ line: 12, column: 1, path: "expect" });
    });

    it("reports every cross-field problem of a file at once", () => {
      const path = scenario("cross-problems.yaml");
      const { problems } = inputErrorOf(() => loadScenario(path));
      expect(problems.map((p) => `${p.line}:${p.column}:${p.path}`)).to.have.members([
        "8:13:lab.targets[1].name",
        "12:11:steps[0].from",
        "16:11:expect.silent",
      ]);
      expect(problems.find((p) => p.line === 8)?.message).to.equal('"firewall" is already taken in this lab');
    });
  });

  it("expects alerts from lab hosts and from the addresses of sources that are no lab host (decoys)", () => {
    const path = scenario("alert-from-addresses.yaml");
    const { problems } = inputErrorOf(() => loadScenario(path));
    expect(problems.map((p) => `${p.line}:${p.path}: ${p.message}`)).to.deep.equal([
      "18:expect.alerts[2].from: a lab host name, or the IPv4 address of a source that is no lab host (a decoy, a spoofed source)",
    ]);
  });

  it("refuses a rule that must both fire and not fire", () => {
    const path = scenario("absent-and-expected.yaml");
    const p = onlyProblem(() => loadScenario(path));
    expect(p).to.include({
      line: 12,
      path: "expect.absent[1]",
      message: '"vertical-port-scan" is also expected to fire in expect.alerts',
    });
  });

  describe("extra hosts", () => {
    it("reads hosts on the outside, the LAN and behind NAT, defaulting to the outside", () => {
      const s = loadScenario(scenario("extra-hosts.yaml"));
      expect(s.lab.hosts.map((h) => `${h.name}:${h.role}:${h.network}`)).to.deep.equal([
        "insider:attacker:lan",
        "monitor:monitor:lan",
        "office-1:client:nat",
        "office-2:client:nat",
        "partner:scanner:outside",
      ]);
      expect(s.steps.map((step) => ("from" in step ? step.from : step.source))).to.deep.equal([
        "insider",
        "office-2",
      ]);
    });

    it("lists every misplaced, reserved or unknown host at once", () => {
      const path = scenario("bad-hosts.yaml");
      const { problems } = inputErrorOf(() => loadScenario(path));
      expect(problems.map((p) => `${p.line}:${p.path}: ${p.message}`)).to.have.members([
        "6:lab.targets[0].address: 10.30.0.10 is not in the dmz network 10.20.0.0/24",
        '8:lab.hosts[0].name: "nat-router" is already taken in this lab',
        "9:lab.hosts[1].address: 10.20.0.50 is not in the lan network 10.30.0.0/24",
        "10:lab.hosts[2].address: 198.18.0.254 is reserved in the outside network (routers, the attacker, masscan's waker, network and broadcast)",
        "11:lab.hosts[3].address: 10.30.0.1 is reserved in the lan network (routers, the attacker, masscan's waker, network and broadcast)",
        '14:steps[0].from: "somebody" cannot send traffic; use one of "attacker", "nat-router", "insider", "probe", "twin"',
      ]);
    });
  });

  describe("YAML problems", () => {
    it("reports a YAML syntax error at the line and column of the error", () => {
      const path = scenario("yaml-syntax-error.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 7)).to.equal("      kind: web: ssh");
      expect(p).to.include({ file: shownAs(path), line: 7, column: 13, path: "" });
      expect(p.message).to.match(/^YAML: /);
    });

    it("reports a duplicate key at its second occurrence", () => {
      const path = scenario("duplicate-yaml-key.yaml");
      const p = onlyProblem(() => loadScenario(path));
      expect(lineOf(path, 8)).to.equal("technique: T1595.001");
      expect(p).to.include({ file: shownAs(path), line: 8, column: 1, path: "" });
      expect(p.message).to.match(/^YAML: .*unique/);
    });
  });
});

describe("a scenario's history", () => {
  it("locates each entry that cannot be produced", () => {
    const { problems } = inputErrorOf(() =>
      loadScenario(scenario("bad-history.yaml"), [scenarioScopeProblems]),
    );
    expect(problems.map((p) => [p.path, p.line])).to.deep.equal([
      ["history[0]", 8],
      ["history[1].for", 13],
      ["history[2].steps[0].tool", 18],
    ]);
    expect(problems[0]?.message).to.include("either every and for").and.to.include("ago");
    expect(problems[2]?.message).to.include("no place in history");
  });

  it("checks a history step's source and targets as it checks the scenario's own steps", () => {
    const from = onlyProblem(() => loadScenario(scenario("bad-history-from.yaml"), [scenarioScopeProblems]));
    expect(from).to.include({ path: "history[0].steps[1].from", line: 11 });
    const target = onlyProblem(() =>
      loadScenario(scenario("bad-history-steps.yaml"), [scenarioScopeProblems]),
    );
    expect(target).to.include({ path: "history[0].steps[1].target", line: 11 });
    expect(target.message).to.include("8.8.8.8");
  });

  it("places periodic runs every interval back from now, the latest one interval before it", () => {
    const s = loadScenario(scenario("valid-history.yaml"), [scenarioScopeProblems]);
    const now = Date.parse("2026-12-06T12:00:00Z");
    const at = (entry: number) =>
      occurrences(s.history[entry] as HistoryEntrySpec, now).map((t) => new Date(t).toISOString());
    expect(at(0)).to.deep.equal([
      "2026-12-06T07:00:00.000Z",
      "2026-12-06T08:00:00.000Z",
      "2026-12-06T09:00:00.000Z",
      "2026-12-06T10:00:00.000Z",
      "2026-12-06T11:00:00.000Z",
    ]);
    expect(at(1)).to.deep.equal(["2026-11-27T12:00:00.000Z", "2026-12-04T12:00:00.000Z"]);
  });

  it("runs the rules over history once per 24-hour period, after the period's latest run ended", () => {
    const now = Date.parse("2026-12-06T12:00:00Z");
    const hourly = occurrences({ every: 3_600_000, for: 3 * 86_400_000, steps: [] }, now);
    const iso = (ms: number[]) => ms.map((t) => new Date(t).toISOString());
    expect(iso(ruleMoments(hourly, 20_000, now))).to.deep.equal([
      "2026-12-03T12:00:21.000Z",
      "2026-12-04T12:00:21.000Z",
      "2026-12-05T12:00:21.000Z",
      "2026-12-06T11:00:21.000Z",
    ]);
    const weekly = occurrences({ ago: [7 * 86_400_000, 14 * 86_400_000], steps: [] }, now);
    expect(iso(ruleMoments(weekly, 5_000, now))).to.deep.equal([
      "2026-11-22T12:00:06.000Z",
      "2026-11-29T12:00:06.000Z",
    ]);
  });
});
