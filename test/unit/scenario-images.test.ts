import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { scenarioImageRef } from "../../harness/setup/scenario-images.js";

function dockerfileIn(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "scanproof-source-")), "My Tool");
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return join(dir, "Dockerfile");
}

describe("a scenario's own image (a target's or a source's build)", () => {
  const dockerfile = "FROM scanproof-test/never-built:1 AS build\nFROM build\nCOPY tool /usr/local/bin/\n";

  it("is tagged by its folder's name and the content of everything in it", async () => {
    const a = await scenarioImageRef(dockerfileIn({ Dockerfile: dockerfile, tool: "one" }));
    const b = await scenarioImageRef(dockerfileIn({ Dockerfile: dockerfile, tool: "one" }));
    const c = await scenarioImageRef(dockerfileIn({ Dockerfile: dockerfile, tool: "two" }));
    expect(a).to.match(/^scanproof-scenario\/my-tool:[0-9a-f]{12}$/);
    expect(b).to.equal(a);
    expect(c).to.not.equal(a);
  });

  it("is refused when the Dockerfile is not there", async () => {
    const missing = join(tmpdir(), "scanproof-no-such-folder", "Dockerfile");
    const error = await scenarioImageRef(missing).then(
      () => expect.fail("a tag for a missing Dockerfile"),
      (e: unknown) => e as Error,
    );
    expect(error.message).to.equal(`The Dockerfile ${missing} does not exist.`);
  });
});
