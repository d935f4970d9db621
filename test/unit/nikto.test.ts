import { readFileSync } from "node:fs";
import { expect } from "chai";
import { parseNiktoOutput } from "../../harness/scanners/nikto.js";
import { fixture } from "./fixture-helpers.js";

describe("parseNiktoOutput", () => {
  const { requests, findings } = parseNiktoOutput(readFileSync(fixture("nikto", "verbose-run.txt"), "utf8"));

  it("reads every request nikto reports, with method, status and the URI as sent (entities and all, as its database holds it; no trailing blanks)", () => {
    expect(requests).to.deep.equal([
      { status: 200, method: "HEAD", uri: "/" },
      { status: 200, method: "GET", uri: "/" },
      { status: 200, method: "GET", uri: "/" },
      { status: 404, method: "GET", uri: "/biklKCdn.Big5" },
      { status: 404, method: "GET", uri: "/%3c/a%3e%3cscript%3ealert(%22xss%22)%3c/script%3e" },
      {
        status: 404,
        method: "GET",
        uri: "/admin/lib_action_step.php?GLOBALS[CLASS_PATH]=http://cirt.net/rfiinc.txt?",
      },
      { status: 405, method: "TRACE", uri: "/" },
      { status: 400, method: "PROPFIND", uri: "/" },
      {
        status: 404,
        method: "GET",
        uri: "/index.php?top_message=&lt;script&gt;alert(document.cookie)&lt;/script&gt;",
      },
    ]);
  });

  it("reads the findings between the start of the test and its summary, not the target's details", () => {
    expect(findings).to.deep.equal([
      "Server: nginx/1.22.1",
      "Server leaks inodes via ETags, header found with file /, fields: 0x6b0ad19c 0x4e ",
      "The anti-clickjacking X-Frame-Options header is not present.",
    ]);
  });

  it("finds nothing in output without verbose request lines", () => {
    expect(parseNiktoOutput("- Nikto v2.1.5\n+ ERROR: Cannot resolve hostname\n")).to.deep.equal({
      requests: [],
      findings: [],
    });
  });
});
