import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { inChild } from "./in-child.js";
import { MAX_SETTING_FILE_BYTES } from "../../harness/backend/backend.js";

const dir = mkdtempSync(join(tmpdir(), "scanproof-setting-files-"));
const ES_URL = "https://es.example:9200";
const SECRET = "pa55-w0rd-that-must-never-show";

/** Reads settings in a child process, so that a read blocking forever fails the test instead of hanging it. */
function readInChild(call: string): { status: number | null; output: string } {
  return inChild({
    imports: {
      ScanproofError: "core/errors.js",
      clientOptions: "backend/backend.js",
      externalClusterFromEnv: "backend/external.js",
    },
    call,
    done: "read",
    errorClass: "ScanproofError",
    report: "[error.message, error.hint]",
  });
}

const fromEnv = (env: NodeJS.ProcessEnv) => `externalClusterFromEnv(${JSON.stringify(env)})`;

/** The message and hint `call` refuses with, after checking it returned at once and named no secret. */
function refusal(call: string): [string, string] {
  const run = readInChild(call);
  expect(run.status, `${call} did not return: ${run.output}`).to.equal(0);
  expect(run.output).not.to.include(SECRET);
  expect(run.output.trim(), `${call} read the file`).not.to.equal("read");
  const [message, hint] = JSON.parse(run.output) as [string, string];
  return [message, hint];
}

describe("files the external cluster settings name", function () {
  this.timeout(60_000);
  after(() => rmSync(dir, { recursive: true, force: true }));

  const fifo = (name: string): string => {
    const path = join(dir, name);
    execFileSync("mkfifo", [path]);
    return path;
  };

  it("refuses a FIFO as a secret file at once, naming the variable and the file", function () {
    for (const name of ["SCANPROOF_ES_PASSWORD", "SCANPROOF_ES_USERNAME", "SCANPROOF_ES_API_KEY"]) {
      const path = fifo(name.toLowerCase());
      const env = { SCANPROOF_ES_URL: ES_URL, SCANPROOF_ES_USERNAME: "u", SCANPROOF_ES_PASSWORD: "p" };
      const [message, hint] = refusal(fromEnv({ ...env, [name]: undefined, [`${name}_FILE`]: path }));
      expect(message).to.equal(`${name}_FILE names ${path}, which is not a regular file.`);
      expect(hint).to.include("regular file");
    }
  });

  it("refuses a FIFO as the CA file at once, when the settings are read and when the client is made", function () {
    const path = fifo("ca.pem");
    const expected = `SCANPROOF_ES_CA_FILE names ${path}, which is not a regular file.`;
    expect(refusal(fromEnv({ SCANPROOF_ES_URL: ES_URL, SCANPROOF_ES_CA_FILE: path }))[0]).to.equal(expected);
    expect(refusal(`clientOptions(${JSON.stringify({ url: ES_URL, caFile: path })})`)[0]).to.equal(expected);
  });

  it("refuses a folder as a secret or CA file", function () {
    const folder = join(dir, "folder");
    mkdirSync(folder);
    expect(
      refusal(
        fromEnv({ SCANPROOF_ES_URL: ES_URL, SCANPROOF_ES_USERNAME: "u", SCANPROOF_ES_PASSWORD_FILE: folder }),
      ),
    ).to.include(`SCANPROOF_ES_PASSWORD_FILE names ${folder}, which is not a regular file.`);
    expect(refusal(fromEnv({ SCANPROOF_ES_URL: ES_URL, SCANPROOF_ES_CA_FILE: folder }))).to.include(
      `SCANPROOF_ES_CA_FILE names ${folder}, which is not a regular file.`,
    );
  });

  it("refuses a file too large to be a secret without quoting it", function () {
    const path = join(dir, "huge");
    writeFileSync(path, SECRET.repeat(Math.ceil(MAX_SETTING_FILE_BYTES / SECRET.length) + 1));
    const [message] = refusal(
      fromEnv({ SCANPROOF_ES_URL: ES_URL, SCANPROOF_ES_USERNAME: "u", SCANPROOF_ES_PASSWORD_FILE: path }),
    );
    expect(message).to.include(`SCANPROOF_ES_PASSWORD_FILE names ${path}, which is larger than`);
  });

  it("still reads a regular secret file", function () {
    const path = join(dir, "password");
    writeFileSync(path, `${SECRET}\n`, { mode: 0o600 });
    const run = readInChild(
      fromEnv({ SCANPROOF_ES_URL: ES_URL, SCANPROOF_ES_USERNAME: "u", SCANPROOF_ES_PASSWORD_FILE: path }),
    );
    expect(run.output.trim()).to.equal("read");
  });
});
