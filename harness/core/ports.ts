/** masscan's port list: single ports and ranges, comma-separated, such as "1-1024,8080". */
export const PORT_LIST = /^\d{1,5}(-\d{1,5})?(,\d{1,5}(-\d{1,5})?)*$/;
const MAX_PORT = 65_535;

/**
 * The distinct ports of a port list, ascending; undefined unless the list has the right form, every
 * port is 1–65535 and every range runs from low to high.
 */
export function expandPortSpec(spec: string): number[] | undefined {
  if (!PORT_LIST.test(spec)) return undefined;
  const ports = new Set<number>();
  for (const part of spec.split(",")) {
    const [low = 0, high = low] = part.split("-").map(Number);
    if (low < 1 || high > MAX_PORT || low > high) return undefined;
    for (let port = low; port <= high; port++) ports.add(port);
  }
  return [...ports].sort((a, b) => a - b);
}

/** Ascending distinct ports written as a port list, runs as ranges: [1, 2, 3, 8080] → "1-3,8080". */
export function formatPorts(ports: readonly number[]): string {
  const parts: string[] = [];
  let i = 0;
  while (i < ports.length) {
    let j = i;
    while (j + 1 < ports.length && (ports[j + 1] as number) === (ports[j] as number) + 1) j += 1;
    parts.push(i === j ? String(ports[i]) : `${ports[i]}-${ports[j]}`);
    i = j + 1;
  }
  return parts.join(",");
}
