import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { sourceImageRef } from "../../harness/setup/source-images.js";

function dockerfileIn(files: Record<string, string>): string {
  const dir = join(mkdtempSync(join(tmpdir(), "scanproof-source-")), "My Tool");
  mkdirSync(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return join(dir, "Dockerfile");
}

describe("a traffic source's own image", () => {
  const dockerfile = "FROM scanproof-test/never-built:1 AS build\nFROM build\nCOPY tool /usr/local/bin/\n";

  it("is tagged by its folder's name and the content of everything in it", async () => {
    const a = await sourceImageRef(dockerfileIn({ Dockerfile: dockerfile, tool: "one" }));
    const b = await sourceImageRef(dockerfileIn({ Dockerfile: dockerfile, tool: "one" }));
    const c = await sourceImageRef(dockerfileIn({ Dockerfile: dockerfile, tool: "two" }));
    expect(a).to.match(/^scanproof-source\/my-tool:[0-9a-f]{12}$/);
    expect(b).to.equal(a);
    expect(c).to.not.equal(a);
  });

  it("is refused when the Dockerfile is not there", async () => {
    const missing = join(tmpdir(), "scanproof-no-such-folder", "Dockerfile");
    const error = await sourceImageRef(missing).then(
      () => expect.fail("a tag for a missing Dockerfile"),
      (e: unknown) => e as Error,
    );
    expect(error.message).to.equal(`The Dockerfile ${missing} does not exist.`);
  });
});
