import { spawnSync } from "node:child_process";

/**
 * Runs `call` in a child Node process that first imports the named harness modules, so that a call
 * blocking forever (a FIFO opened for reading) fails the test instead of hanging it. Prints `done`
 * when `call` returns; when it throws an instance of `errorClass` (one of the imported names), the
 * JSON of `report(error)`; anything else as "not a <errorClass>".
 */
export function inChild(options: {
  readonly imports: Readonly<Record<string, string>>;
  readonly call: string;
  readonly done: string;
  readonly errorClass: string;
  readonly report: string;
}): { status: number | null; output: string } {
  const module = (path: string) => JSON.stringify(new URL(`../../harness/${path}`, import.meta.url).href);
  const script = [
    ...Object.entries(options.imports).map(
      ([names, path]) => `const { ${names} } = await import(${module(path)});`,
    ),
    "try {",
    `  ${options.call};`,
    `  console.log(${JSON.stringify(options.done)});`,
    "} catch (error) {",
    `  console.log(error instanceof ${options.errorClass} ? JSON.stringify(${options.report}) : \`not a ${options.errorClass}: \${error}\`);`,
    "}",
  ].join("\n");
  const run = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    timeout: 15_000,
    killSignal: "SIGKILL",
  });
  return { status: run.status, output: run.stdout + run.stderr };
}
