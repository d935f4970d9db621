/** Words every layer shares: the log sources, the sensors and the escalation tiers. */

export const LOG_SOURCES = ["firewall", "ids", "flow", "web", "dns", "auth"] as const;
/**
 * Sensors a scenario switches on; the firewall always logs, targets log what they serve. psad and
 * scanlogd are established scan detectors for comparison (bench/matrix): they report, they do not ship.
 */
export const SENSORS = ["ids", "flow", "psad", "scanlogd"] as const;
export const TIERS = ["suppressed", "l1", "tier2"] as const;

export type LogSourceName = (typeof LOG_SOURCES)[number];
export type SensorName = (typeof SENSORS)[number];
export type Tier = (typeof TIERS)[number];
