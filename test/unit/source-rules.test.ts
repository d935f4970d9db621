import { expect } from "chai";
import { join } from "node:path";
import { loadRules } from "../../harness/detection/rules/rule-loader.js";
import { rulesReading, sourcesRead } from "../../harness/detection/rules/source-rules.js";
import { assertionsDir } from "../../harness/core/paths.js";

describe("rules a lab's sources can speak for", function () {
  const pack = loadRules([join(assertionsDir, "rules")]).rules;
  const names = (sources: Parameters<typeof rulesReading>[1]) =>
    rulesReading(pack, sources).map((r) => r.file.replace(/^.*_(\w+)\.toml$/, "$1"));

  it("reads a source from its index, a wildcard over it, or its Elastic data streams' aliases", function () {
    expect(sourcesRead({ index: ["scanproof-firewall*"] })).to.deep.equal(["firewall"]);
    expect(sourcesRead({ index: ["scanproof-*"] })).to.have.members([
      "firewall",
      "web",
      "dns",
      "ids",
      "flow",
      "auth",
    ]);
    expect(sourcesRead({ index: ["logs-network_traffic.*"] })).to.deep.equal(["dns", "flow"]);
    expect(sourcesRead({ index: ["logs-network_traffic.flow-*"] })).to.deep.equal(["flow"]);
    expect(sourcesRead({ index: ["logs-iptables.log-*"] })).to.deep.equal(["firewall"]);
    expect(sourcesRead({ index: ["logs-suricata.*"] })).to.deep.equal(["ids"]);
    expect(sourcesRead({ index: ["logs-nginx.access-*"] })).to.deep.equal(["web"]);
    expect(sourcesRead({ index: ["logs-system.auth-*"] })).to.deep.equal(["auth"]);
    expect(sourcesRead({ index: ["logs-netflow.*"] })).to.deep.equal(["flow"]);
    expect(sourcesRead({ index: ["logs-*"] })).to.have.members([
      "firewall",
      "web",
      "dns",
      "ids",
      "flow",
      "auth",
    ]);
    expect(sourcesRead({ index: ["logs-zeek.*", "filebeat-*"] })).to.deep.equal([]);
  });

  it("keeps only the pack's rules over the sources the lab writes", function () {
    expect(new Set(names(["firewall"]))).to.deep.equal(new Set(["firewall"]));
    expect(new Set(names(["firewall", "web"]))).to.deep.equal(new Set(["firewall", "web"]));
    expect(new Set(names(["firewall", "web", "dns", "ids", "flow"]))).to.deep.equal(
      new Set(["firewall", "web", "dns", "netflow"]),
    );
    expect(rulesReading(pack, ["firewall", "web", "dns", "ids", "flow"])).to.have.lengthOf(pack.length);
  });

  it("keeps a rule over an index no lab sensor writes: only the user can say what feeds it", function () {
    const own = { index: ["logs-zeek.*"] };
    const mixed = { index: ["scanproof-flow*", "logs-zeek.*"] };
    expect(rulesReading([own, mixed], ["firewall"])).to.deep.equal([own]);
  });
});
