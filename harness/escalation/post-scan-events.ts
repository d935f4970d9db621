/**
 * What the post-scan analysis reads about one alert: the recorded events after the scan between the
 * scanning source and the hosts it scanned, and each scanned host's own past. Plain data, gathered
 * from Elasticsearch (gather-post-scan.ts) or read from a recorded fixture.
 */
export interface PostScanEvents {
  /** From the scan's first event to its last plus the context's `post_scan.window`. */
  readonly window: { readonly gte: string; readonly lte: string };
  /** The scan's last event: what it found is what answered up to here, a follow-up comes after. */
  readonly scanEnd: string;
  /** The hosts the source scanned: the detection's targets and every destination of its activity. */
  readonly scanned: readonly string[];
  /** Authentication events from the source to a scanned host in the window. */
  readonly logins: readonly LoginEvent[];
  /**
   * Connections (bidirectional flow records) in the window from a scanned host to the source or to an
   * address outside `internal_networks`, and those the source opened to a scanned host that carried
   * at least `post_scan.transfer.min_bytes` back.
   */
  readonly flows: readonly FlowEvent[];
  /** Each scanned host's flows in the history window before the activity began. */
  readonly baseline: readonly HostBaseline[];
  /**
   * The services of the scanned hosts that answered the source in the window (NetFlow: a TCP
   * connection the host answered with SYN/ACK, a UDP flow it answered); undefined when the lab
   * recorded no connection of the source at all (no flow sensor), so what answered is unknown.
   */
  readonly answered?: readonly AnsweredService[];
  /**
   * The source's web requests to the scanned hosts: those of the scan that found a path (a status in
   * `FOUND_STATUSES`), and those after the scan's end to a path the scan found.
   */
  readonly requests: readonly WebRequest[];
  /** The scanned hosts' services (host and port) the source sent web requests to during the scan. */
  readonly webScanned: readonly ServiceAddress[];
  /**
   * The source's connections to the scanned hosts after the scan's end that completed and carried
   * data both ways (TCP: the source's flags hold S, A and P and the answer's P; UDP: packets back).
   */
  readonly connections: readonly FlowEvent[];
}

export interface ServiceAddress {
  readonly host: string;
  readonly port: number;
}

export interface AnsweredService {
  readonly host: string;
  readonly port: number;
  readonly transport: "tcp" | "udp";
  /** The first connection record that shows the answer, and its time. */
  readonly index: string;
  readonly id: string;
  readonly at: string;
}

/** One stored event: the index and document id an analyst opens, its time and its endpoints. */
export interface RecordedEvent {
  readonly index: string;
  readonly id: string;
  readonly at: string;
  readonly source: string;
  readonly sourcePort?: number;
  readonly destination: string;
  readonly destinationPort?: number;
}

export interface LoginEvent extends RecordedEvent {
  /**
   * `ssh_login`, `ftp_login`, `postgresql_login`, `telnet_login` or `smb_login` (an accepted or
   * failed login), `invalid_user` (sshd: a user the host does not have) or `ftp_anonymous_login`.
   */
  readonly action: string;
  readonly outcome: "success" | "failure" | "unknown";
  readonly user?: string;
  readonly method?: string;
  /** The service that logged it (OpenSSH, vsftpd, PostgreSQL, telnetd, Samba). */
  readonly service: string;
}

/** A web request as the web server logged it. */
export interface WebRequest extends RecordedEvent {
  readonly method: string;
  /** The path asked for, without the query string. */
  readonly path: string;
  readonly status: number;
}

/** A connection as the flow sensor pairs it: the source opened it, the destination answered. */
export interface FlowEvent extends RecordedEvent {
  readonly transport: string;
  /** The opener's TCP flags over the connection (nfdump's `......S.` form). */
  readonly tcpFlags?: string;
  /** The answerer's TCP flags over the connection. */
  readonly replyFlags?: string;
  readonly sourceBytes: number;
  readonly destinationBytes: number;
  /** Packets the destination sent back: 0 in a one-sided record (no answer was paired with it). */
  readonly destinationPackets: number;
}

/** A scanned host before the activity: its largest single transfer and the peers it connected to. */
export interface HostBaseline {
  readonly host: string;
  /** The most bytes the host sent in one connection to any peer, answering or opening it. */
  readonly largestTransfer: number;
  /** Every address the host opened a connection to that is the source or outside `internal_networks`. */
  readonly peers: readonly string[];
}
