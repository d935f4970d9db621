import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { clientOptions } from "../../harness/backend/backend.js";
import { externalClusterFromEnv } from "../../harness/backend/external.js";
import { ScanproofError } from "../../harness/core/errors.js";
import { thrownBy } from "./fixture-helpers.js";

const SECRET = "pa55-w0rd-that-must-never-show";
const dir = mkdtempSync(join(tmpdir(), "scanproof-secrets-"));
const secretFile = (name: string, content: string) => {
  const path = join(dir, name);
  writeFileSync(path, content, { mode: 0o600 });
  return path;
};

/** The error reading this environment throws; it must be a ScanproofError that does not quote the secret. */
function refusal(env: NodeJS.ProcessEnv): string {
  const error = thrownBy(() => externalClusterFromEnv(env));
  expect(error).to.be.instanceOf(ScanproofError);
  const text = `${error.message} ${(error as ScanproofError).hint ?? ""}`;
  expect(text).not.to.include(SECRET);
  return text;
}

describe("external cluster settings", () => {
  const URL = "https://es.example:9200";

  it("means the embedded cluster when SCANPROOF_ES_URL is not set", () => {
    expect(externalClusterFromEnv({ SCANPROOF_ES_PASSWORD: SECRET })).to.equal(undefined);
  });

  it("reads the password from the file SCANPROOF_ES_PASSWORD_FILE names, without its trailing newline", () => {
    const options = externalClusterFromEnv({
      SCANPROOF_ES_URL: URL,
      SCANPROOF_ES_USERNAME: "scanproof",
      SCANPROOF_ES_PASSWORD_FILE: secretFile("password", `${SECRET}\n`),
    });
    expect(options).to.deep.equal({ url: URL, username: "scanproof", password: SECRET });
  });

  it("reads an API key from SCANPROOF_ES_API_KEY_FILE, beside the shipper's username and password", () => {
    const options = externalClusterFromEnv({
      SCANPROOF_ES_URL: URL,
      SCANPROOF_ES_API_KEY_FILE: secretFile("api-key", SECRET),
      SCANPROOF_ES_USERNAME: "shipper",
      SCANPROOF_ES_PASSWORD: "other",
    });
    expect(options?.apiKey).to.equal(SECRET);
  });

  it("refuses a secret given both directly and as a file", () => {
    expect(
      refusal({
        SCANPROOF_ES_URL: URL,
        SCANPROOF_ES_USERNAME: "u",
        SCANPROOF_ES_PASSWORD: SECRET,
        SCANPROOF_ES_PASSWORD_FILE: secretFile("both", SECRET),
      }),
    ).to.include("Set SCANPROOF_ES_PASSWORD or SCANPROOF_ES_PASSWORD_FILE, not both.");
  });

  it("names an unreadable or empty secret file, not its content", () => {
    const missing = join(dir, "missing");
    expect(
      refusal({ SCANPROOF_ES_URL: URL, SCANPROOF_ES_USERNAME: "u", SCANPROOF_ES_PASSWORD_FILE: missing }),
    ).to.include(`SCANPROOF_ES_PASSWORD_FILE names ${missing}, which cannot be read (ENOENT)`);
    expect(
      refusal({
        SCANPROOF_ES_URL: URL,
        SCANPROOF_ES_USERNAME: "u",
        SCANPROOF_ES_PASSWORD_FILE: secretFile("e", ""),
      }),
    ).to.include("which is empty");
  });

  it("refuses credentials inside the URL without repeating them", () => {
    expect(refusal({ SCANPROOF_ES_URL: `https://elastic:${SECRET}@es.example:9200` })).to.include(
      "SCANPROOF_ES_URL carries credentials",
    );
  });

  it("refuses a URL it cannot parse without repeating it", () => {
    expect(refusal({ SCANPROOF_ES_URL: `not a url ${SECRET}` })).to.include("SCANPROOF_ES_URL is not a URL.");
  });

  it("refuses an API key alone, since the shipper can only send a username and password", () => {
    expect(refusal({ SCANPROOF_ES_URL: URL, SCANPROOF_ES_API_KEY: SECRET })).to.include(
      "can only send a username and password",
    );
  });

  it("refuses a CA file that does not exist", () => {
    expect(refusal({ SCANPROOF_ES_URL: URL, SCANPROOF_ES_CA_FILE: join(dir, "no-ca.pem") })).to.include(
      "SCANPROOF_ES_CA_FILE names",
    );
  });

  it("always verifies TLS, against the named CA when there is one", () => {
    expect(clientOptions({ url: URL }).tls).to.deep.equal({ rejectUnauthorized: true });
    const ca = secretFile("ca.pem", "-----BEGIN CERTIFICATE-----\n");
    expect(clientOptions({ url: URL, caFile: ca }).tls).to.deep.include({ rejectUnauthorized: true });
    expect(String((clientOptions({ url: URL, caFile: ca }).tls as { ca: Buffer }).ca)).to.include(
      "BEGIN CERTIFICATE",
    );
  });
});
