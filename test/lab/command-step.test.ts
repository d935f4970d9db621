import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { ScanproofError } from "../../harness/core/errors.js";
import { Teardown } from "../../harness/core/lifecycle.js";
import { startLab } from "../../harness/lab/lab.js";
import { ScopeGuard } from "../../harness/lab/scope-guard.js";
import type { StartedLab } from "../../harness/lab/started-lab.js";
import { labAddresses, planLab } from "../../harness/lab/topology.js";
import { CommandStepSchema } from "../../harness/scanners/command.js";
import { runStep } from "../../harness/scanners/run-step.js";
import { newRunId } from "../../harness/run/run-scenarios.js";
import { sharedBackend } from "./shared-backend.js";

/**
 * The command step in a real lab: what it runs is saved, its exit code and time limit are held to,
 * and while it runs its source may send only to the targets it declares. The addresses it is aimed
 * at around the argument layer are written in inet_aton's short form ("10.20.11" is 10.20.0.11),
 * which the argument check does not read, so only the narrowed egress filter stands in the way.
 */
describe("command step", function () {
  const teardown = new Teardown();
  const workDir = mkdtempSync(join(tmpdir(), "scanproof-command-"));
  let lab: StartedLab;
  let guard: ScopeGuard;

  before(async function () {
    lab = await startLab({
      runId: newRunId(),
      scenarioId: "command-step",
      plan: planLab({
        lab: {
          targets: [
            { name: "web", kind: "web" },
            { name: "ssh", kind: "ssh" },
          ],
          hosts: [{ name: "user", role: "client", network: "outside" }],
        },
      }),
      sensors: [],
      backend: await sharedBackend(),
      workDir,
      teardown,
    });
    guard = new ScopeGuard(lab.subnets, labAddresses(lab.plan));
  });

  after(() => teardown.run());

  const step = (fields: Record<string, unknown>) => CommandStepSchema.parse({ tool: "command", ...fields });

  it("runs the argv in the source, saves its output and is judged by the wire", async function () {
    const truth = await runStep(
      lab,
      step({
        targets: ["web"],
        argv: ["hping3", "-S", "-p", "80", "-c", "2", "-i", "u100000", "10.20.0.10"],
      }),
      0,
      guard,
      workDir,
    );
    expect(truth.summary).to.equal("hping3 exited with 0 (web = 10.20.0.10)");
    expect(readFileSync(join(workDir, "step-0-command.out"), "utf8")).to.include("flags=SA");
    expect(existsSync(join(workDir, "step-0-command.err"))).to.equal(true);
    expect(truth.wire, "the wire reference").to.not.equal(undefined);
    expect(await lab.egressDrops()).to.deep.equal([]);
  });

  it("lets the source reach the other lab hosts again after the step", async function () {
    const result = await lab.exec(lab.attacker, ["hping3", "-S", "-p", "22", "-c", "1", "10.20.0.11"]);
    expect(result.exitCode).to.equal(0);
    expect(await lab.egressDrops()).to.deep.equal([]);
  });

  it("stops packets to an undeclared lab address at the egress filter and ends in error", async function () {
    const error = await runStep(
      lab,
      step({
        targets: ["web"],
        argv: ["hping3", "-S", "-p", "22", "-c", "2", "-i", "u100000", "10.20.11"],
        exit_codes: [0, 1],
      }),
      1,
      guard,
      workDir,
    ).then(
      () => expect.fail("the step ran to the end"),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(ScanproofError);
    expect((error as Error).message).to.match(
      /^steps\[1\]: hping3 sent to addresses the step does not declare \(web = 10\.20\.0\.10\), and the egress filter dropped them: 10\.20\.0\.11 \(2 packets\)/,
    );
  });

  it("stops a command that outlives its timeout", async function () {
    const started = Date.now();
    const error = await runStep(
      lab,
      step({ targets: ["web"], argv: ["sleep", "30"], timeout: 2 }),
      2,
      guard,
      workDir,
    ).then(
      () => expect.fail("the step ran to the end"),
      (e: unknown) => e,
    );
    expect((error as Error).message).to.match(/^steps\[2\]: sleep did not exit within 2 s and was stopped/);
    expect(Date.now() - started).to.be.below(15_000);
  });

  it("names a program the source does not have, and an unexpected exit code", async function () {
    const missing = await runStep(
      lab,
      step({ targets: ["web"], argv: ["nuclei", "-u", "http://10.20.0.10/"] }),
      3,
      guard,
      workDir,
    ).then(
      () => expect.fail("the step ran to the end"),
      (e: unknown) => e,
    );
    expect((missing as Error).message).to.match(
      /^steps\[3\]\.argv\[0\]: "nuclei" cannot be run in attacker \(exit 127\)/,
    );
    const failed = await runStep(
      lab,
      step({ targets: ["10.20.0.8/29"], argv: ["fping", "10.20.0.10", "10.20.0.13"] }),
      4,
      guard,
      workDir,
    ).then(
      () => expect.fail("the step ran to the end"),
      (e: unknown) => e,
    );
    expect((failed as Error).message).to.match(/^steps\[4\]: fping exited with 1, expected 0: /);
  });

  it("says why a raw-packet tool fails in a client host: it has no raw sockets", async function () {
    const error = await runStep(
      lab,
      step({ from: "user", targets: ["web"], argv: ["hping3", "-S", "-p", "80", "-c", "1", "10.20.0.10"] }),
      5,
      guard,
      workDir,
    ).then(
      () => expect.fail("the step ran to the end"),
      (e: unknown) => e as ScanproofError,
    );
    expect(error.message).to.match(
      /^steps\[5\]: hping3 exited with 1, expected 0: \[open_sockraw\] socket\(\): Operation not permitted/,
    );
    expect(error.hint).to.match(/^user is a client host, which has no raw sockets/);
  });
});
