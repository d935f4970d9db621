import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import { containersDir } from "../../harness/core/paths.js";

const confDir = join(containersDir, "shipper", "rsyslog.d");

describe("shipper configuration", () => {
  it("gives every file input the metadata the document id is built from (file name and line offset)", () => {
    const inputs = readdirSync(confDir)
      .filter((f) => f.endsWith(".conf"))
      .flatMap((f) =>
        [...readFileSync(join(confDir, f), "utf8").matchAll(/input\(type="imfile"[^)]*\)/g)].map((m) => ({
          file: f,
          input: m[0],
        })),
      );
    expect(inputs.length).to.be.greaterThan(4);
    expect(inputs.filter((i) => !/addMetadata="on"/.test(i.input)).map((i) => i.file)).to.deep.equal([]);
    const rsyslog = readFileSync(join(containersDir, "shipper", "rsyslog.conf"), "utf8");
    expect(rsyslog).to.include("%$!metadata!filename%/%$!metadata!fileoffset%");
  });
});
