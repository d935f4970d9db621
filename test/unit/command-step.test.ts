import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ScanproofError } from "../../harness/core/errors.js";
import { projectRoot, scenariosDir } from "../../harness/core/paths.js";
import { commandScope, CommandStepSchema } from "../../harness/scanners/command.js";
import { loadScenario } from "../../harness/scenario/load.js";
import { scenarioScopeProblems } from "../../harness/scenario/scope.js";
import { inputErrorOf, labGuard, shownAs, thrownBy } from "./fixture-helpers.js";

const guard = labGuard;

const step = (targets: string[], argv: string[]) =>
  CommandStepSchema.parse({ tool: "command", targets, argv });

function refusal(targets: string[], argv: string[]): string {
  const error = thrownBy(() => commandScope(step(targets, argv), 2, guard()));
  expect(error).to.be.instanceOf(ScanproofError);
  return error.message;
}

describe("the command step's argument layer", () => {
  it("resolves lab names and keeps addresses and CIDRs of the lab", () => {
    const declared = commandScope(step(["web", "10.20.0.16/28", "198.18.0.1"], ["true"]), 0, guard());
    expect(declared.ranges).to.deep.equal(["10.20.0.10", "10.20.0.16/28", "198.18.0.1"]);
    expect(declared.described).to.equal("web = 10.20.0.10, 10.20.0.16/28, 198.18.0.1");
  });

  it("refuses a declared target outside the lab, naming targets[k]", () => {
    expect(refusal(["web", "192.0.2.0/24"], ["true"])).to.match(
      /^steps\[2\]\.targets\[1\]: refusing to probe 192\.0\.2\.0\/24/,
    );
    expect(refusal(["example.org"], ["true"])).to.match(
      /^steps\[2\]\.targets\[0\]: .*host name outside the lab/,
    );
  });

  const inside: [string, string[]][] = [
    ["a declared address", ["hping3", "-S", "10.20.0.10"]],
    ["an address inside a declared CIDR", ["fping", "10.20.0.20"]],
    ["a range inside a declared CIDR", ["nmap", "10.20.0.17-30"]],
    ["a full range", ["fping", "-g", "10.20.0.16", "10.20.0.31"]],
    ["a URL", ["whatweb", "http://10.20.0.10:80/index.html"]],
    ["an option with =", ["sqlmap", "--url=http://10.20.0.10/?id=1"]],
    ["version numbers and ports", ["tool", "--version=1.2.3", "-p", "80,443", "v2.0.1"]],
    ["a time and a MAC address", ["tool", "12:30:00", "02:42:ac:11:00:02"]],
  ];
  for (const [what, argv] of inside)
    it(`accepts ${what}`, () => {
      expect(() => commandScope(step(["web", "10.20.0.16/28"], argv), 0, guard())).not.to.throw();
    });

  const outside: [string, string[], number, RegExp][] = [
    [
      "another lab address",
      ["hping3", "-S", "10.20.0.11"],
      2,
      /"10\.20\.0\.11" \(10\.20\.0\.11\) is outside the targets this step declares \(web = 10\.20\.0\.10\)/,
    ],
    ["an address outside the lab", ["nc", "-z", "192.0.2.7", "80"], 2, /"192\.0\.2\.7"/],
    ["a CIDR wider than the targets", ["zmap", "-p", "80", "10.20.0.0/24"], 3, /10\.20\.0\.0-10\.20\.0\.255/],
    ["a range beyond the target", ["nmap", "10.20.0.10-12"], 1, /10\.20\.0\.10-10\.20\.0\.12/],
    ["a wildcard", ["nmap", "10.20.0.*"], 1, /10\.20\.0\.0-10\.20\.0\.255/],
    ["an address in a URL", ["curl", "http://192.0.2.80/"], 1, /192\.0\.2\.80/],
    [
      "a CIDR with host bits, read as its network",
      ["zmap", "10.20.0.10/24"],
      1,
      /10\.20\.0\.0-10\.20\.0\.255/,
    ],
  ];
  for (const [what, argv, j, message] of outside)
    it(`refuses ${what}, naming steps[i].argv[j]`, () => {
      const text = refusal(["web"], argv);
      expect(text).to.match(new RegExp(`^steps\\[2\\]\\.argv\\[${j}\\]: `));
      expect(text).to.match(message);
      expect(text).to.include("Nothing was sent.");
    });

  it("refuses addresses it cannot read rather than guess", () => {
    expect(refusal(["web"], ["ping", "010.020.0.010"])).to.match(/argv\[1\]: .*leading zero/);
    expect(refusal(["web"], ["ping", "10.20.0.300"])).to.match(/argv\[1\]: .*above 255/);
  });

  it("refuses IPv6 addresses: the lab is IPv4 only", () => {
    expect(refusal(["web"], ["ping", "-6", "fe80::1"])).to.match(/argv\[2\]: "fe80::1" is an IPv6 address/);
    expect(refusal(["web"], ["curl", "http://[2001:db8::8]/"])).to.match(/argv\[1\]: "2001:db8::8"/);
  });

  it("defaults to the attacker, two minutes and exit code 0", () => {
    expect(step(["web"], ["true"])).to.include({ from: "attacker", timeout: 120 });
    expect(step(["web"], ["true"]).exit_codes).to.deep.equal([0]);
  });

  it("is refused by validate with the file, steps[i].argv[j] and the line", () => {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-command-"));
    const file = join(dir, "bad.yaml");
    writeFileSync(
      file,
      [
        "id: bad-command",
        "title: t",
        "technique: T1595.001",
        "lab: { targets: [{ name: web, kind: web }, { name: ssh, kind: ssh }] }",
        "steps:",
        "  - tool: command",
        "    targets: [web]",
        '    argv: ["hping3", "-S", "-p", "22", "10.20.0.11"]',
        "expect: { silent: true }",
        "",
      ].join("\n"),
    );
    const problems = inputErrorOf(() => loadScenario(file, [scenarioScopeProblems])).problems;
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ file: shownAs(file), path: "steps[0].argv[4]", line: 8 });
    expect(problems[0]?.message).to.match(
      /^"10\.20\.0\.11" \(10\.20\.0\.11\) is outside the targets this step declares/,
    );
  });

  it("is written in the README exactly as the library scenario it names, in under twenty lines", () => {
    const readme = readFileSync(join(projectRoot, "README.md"), "utf8");
    const shown =
      /This is `scenarios\/anytool-hping3\.yaml` without its comment header[^`]*```yaml\n([\s\S]*?)```/.exec(
        readme,
      )?.[1];
    const file = readFileSync(join(scenariosDir, "anytool-hping3.yaml"), "utf8")
      .split("\n")
      .filter((line) => !line.startsWith("#"))
      .join("\n");
    expect(shown).to.equal(file);
    expect(file.trim().split("\n")).to.have.length.below(20);
  });

  it("names a missing Dockerfile of a traffic source's own image, relative to the scenario", () => {
    const dir = mkdtempSync(join(tmpdir(), "scanproof-own-image-"));
    const file = join(dir, "own.yaml");
    writeFileSync(
      file,
      [
        "id: own-image",
        "title: t",
        "technique: T1595.001",
        "lab:",
        "  targets: [{ name: web, kind: web }]",
        "  hosts: [{ name: tester, role: client, build: images/nothing/Dockerfile }]",
        "steps:",
        "  - { tool: command, from: tester, targets: [web], argv: [curl, http://10.20.0.10/] }",
        "expect: { silent: true }",
        "",
      ].join("\n"),
    );
    const problems = inputErrorOf(() => loadScenario(file)).problems;
    expect(problems).to.have.length(1);
    expect(problems[0]).to.include({ path: "lab.hosts[0].build", line: 6 });
    expect(problems[0]?.message).to.equal(
      `images/nothing/Dockerfile is no Dockerfile (relative to this file, it is ${join(dir, "images/nothing/Dockerfile")}); expected the path of the Dockerfile to build this host's image from`,
    );
  });

  it("resolves an own image's Dockerfile against the scenario's folder", () => {
    const scenario = loadScenario(join(scenariosDir, "anytool-own-image.yaml"));
    expect(scenario.lab.hosts[0]?.build).to.equal(join(scenariosDir, "images", "dirb", "Dockerfile"));
  });
});
