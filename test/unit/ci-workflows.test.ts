import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { main } from "../../harness/cli.js";
import { projectRoot } from "../../harness/core/paths.js";

async function helpOf(command: string): Promise<string> {
  let text = "";
  await main(["node", "scanproof", command, "--help"], { out: (t) => (text += t), err: (t) => (text += t) });
  return text;
}

describe("ci/ workflows", () => {
  const files = readdirSync(join(projectRoot, "ci")).map((f) => join(projectRoot, "ci", f));
  const invocations = files.flatMap((file) =>
    [...readFileSync(file, "utf8").matchAll(/node bin\/scanproof\.js (\w+)([^\n]*)/g)].map((m) => ({
      file,
      command: m[1] ?? "",
      flags: [...(m[2] ?? "").matchAll(/(--[a-z-]+)/g)].map((f) => f[1] ?? ""),
    })),
  );

  it("run a sharded suite and merge its shards in every workflow", () => {
    for (const file of files) {
      const commands = invocations.filter((i) => i.file === file).map((i) => i.command);
      expect(commands, file).to.include.members(["run", "report"]);
    }
  });

  it("use only commands and flags the CLI has", async () => {
    for (const { file, command, flags } of invocations) {
      const help = await helpOf(command);
      expect(help, `${file}: scanproof ${command}`).to.include(`Usage: scanproof ${command}`);
      for (const flag of flags) expect(help, `${file}: scanproof ${command} ${flag}`).to.include(flag);
    }
  });

  it("show on a merge or pull request what its rule change moved, judged by both rule sets", () => {
    for (const file of files) {
      const diff = invocations.filter((i) => i.file === file && i.command === "diff");
      expect(diff, file).to.have.lengthOf(1);
      expect(diff[0]?.flags, file).to.include.members(["--rules-baseline", "--rules-changed", "--markdown"]);
      const text = readFileSync(file, "utf8");
      expect(text, `${file}: the base's rules`).to.match(/git archive .* assertions\/rules/);
      expect(text, `${file}: only on a rule change`).to.match(
        /git diff --quiet .* -- assertions\/rules;|changes:\s+- assertions\/rules\/\*\*\/\*/,
      );
      expect(text, `${file}: "something moved" does not fail the job`).to.include("|| [ $? -eq 1 ]");
    }
  });

  it("publish the JUnit report and the Navigator layer", () => {
    for (const file of files) {
      const text = readFileSync(file, "utf8");
      expect(text, file).to.include("junit.xml");
      expect(text, file).to.match(/navigator-layer\.json|merged\/$/m);
    }
  });
});
