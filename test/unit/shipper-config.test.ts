import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "chai";
import {
  DATA_STREAM_NAMESPACE,
  dataStreamName,
  indexTemplates,
  LAB_DATA_STREAMS,
  SOURCE_INDEX,
} from "../../harness/backend/templates.js";
import { containersDir } from "../../harness/core/paths.js";
import type { LogSourceName } from "../../harness/core/vocabulary.js";

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

  it("writes each source's events in the data streams the index templates alias, namespace scanproof", () => {
    for (const source of Object.keys(SOURCE_INDEX) as LogSourceName[]) {
      const conf = readFileSync(join(confDir, `${source}.conf`), "utf8");
      const written = [...conf.matchAll(/set \$!ecs!data_stream!dataset = "([^"]+)";/g)].map((m) => m[1]);
      const declared = LAB_DATA_STREAMS.filter((d) => d.source === source).map((d) => d.dataset);
      expect(written, source).to.have.members(declared);
      expect(conf, source).to.include('set $!ecs!data_stream!type = "logs";');
      expect(conf, source).to.include(`set $!ecs!data_stream!namespace = "${DATA_STREAM_NAMESPACE}";`);
    }
  });

  it("aliases each source index under every data stream it holds, filtered to that dataset", () => {
    for (const [source, index] of Object.entries(SOURCE_INDEX)) {
      const template = indexTemplates().find((t) => t.name === index);
      const aliases = template?.body.template?.aliases ?? {};
      const expected = Object.fromEntries(
        LAB_DATA_STREAMS.filter((d) => d.source === source).map((d) => [
          dataStreamName(d.dataset),
          { filter: { term: { "data_stream.dataset": d.dataset } } },
        ]),
      );
      expect(aliases, index).to.deep.equal(expected);
    }
    expect(dataStreamName("network_traffic.flow")).to.equal("logs-network_traffic.flow-scanproof");
  });
});
