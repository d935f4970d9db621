import { expect } from "chai";
import { kqlLacks, type Knowledge } from "../../harness/detection/live/applicability.js";
import { parseKql } from "../../harness/detection/rules/kql.js";

/** A lab that maps the fields named and writes the datasets named. */
function lab(fields: readonly string[], datasets: readonly string[]): Knowledge {
  return { mapped: (f) => fields.includes(f), datasets };
}

const FLOW_LAB = lab(
  [
    "data_stream.dataset",
    "event.category",
    "network.transport",
    "destination.port",
    "source.ip",
    "destination.ip",
  ],
  ["network_traffic.flow", "network_traffic.dns"],
);
const lacks = (query: string, known = FLOW_LAB) => kqlLacks(parseKql(query), known);

describe("whether a rule's query can match anything the lab writes", function () {
  it("lets a query match when every clause it needs is on a mapped field", function () {
    expect(lacks("network.transport:tcp and destination.port:3389")).to.deep.equal([]);
  });

  it("closes a conjunction on one unmapped field and names it", function () {
    expect(lacks("network.transport:tcp and tls.server.hash.sha1:ABC")).to.deep.equal([
      { kind: "field", name: "tls.server.hash.sha1" },
    ]);
  });

  it("keeps a disjunction open while one branch is, and names every field when all close", function () {
    expect(lacks("tls.server.hash.md5:A or destination.port:443")).to.deep.equal([]);
    expect(lacks("tls.server.hash.md5:A or tls.server.hash.sha1:B")).to.deep.equal([
      { kind: "field", name: "tls.server.hash.md5" },
      { kind: "field", name: "tls.server.hash.sha1" },
    ]);
  });

  it("never closes a negation: a clause that matches nothing makes its negation match everything", function () {
    expect(lacks("destination.port:23 and not network.application:telnet")).to.deep.equal([]);
  });

  it("closes a clause on a dataset no lab sensor writes, matching values and patterns alike", function () {
    expect(lacks("data_stream.dataset:network_traffic.icmp and source.ip:*")).to.deep.equal([
      { kind: "dataset", name: "network_traffic.icmp" },
    ]);
    expect(lacks("data_stream.dataset:network_traffic.* and source.ip:*")).to.deep.equal([]);
    expect(lacks("data_stream.dataset:(zeek.rdp or network_traffic.flow)")).to.deep.equal([]);
    expect(
      lacks("(data_stream.dataset:zeek.rdp or event.category:network) and destination.port:3389"),
    ).to.deep.equal([]);
  });

  it("reads nested fields by their full path and field patterns against the mapped fields", function () {
    const known = lab(["http.request.headers.authorization", "destination.port"], []);
    expect(lacks("http.request:{ headers.authorization:Basic* }", known)).to.deep.equal([]);
    expect(lacks("http.response:{ headers.location:/x* }", known)).to.deep.equal([
      { kind: "field", name: "http.response.headers.location" },
    ]);
  });
});
