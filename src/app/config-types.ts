/**
 * The shape of the configuration (config.ts reads it; docs/configuration.md documents every key).
 */
import type { AuthWithoutTls } from '../proto/index.js';
import type { ListenAddress, LogLevel } from './config-schema.js';
import type { TlsMode } from '../smtp/client/index.js';

/** The services a listener can be configured for. */
export type ServiceName = 'smtp' | 'submission' | 'submissions' | 'pop3' | 'pop3s' | 'web';

/** The SMTP server's limits and policy switches (issue 3 §4). */
export interface SmtpConfig {
  readonly maxMessageBytes: number;
  readonly maxRecipients: number;
  readonly bareNewline: 'reject' | 'normalize';
  /** Where AUTH is offered without TLS: never, to loopback clients only, or always. */
  readonly authWithoutTls: AuthWithoutTls;
  readonly maxLineLength: number;
  readonly maxAuthLineLength: number;
  readonly maxErrors: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly commandTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  /** Bytes per second a client must keep up during DATA/BDAT. */
  readonly minDataRate: number;
  readonly authFailureDelayMs: number;
  readonly authLockoutFailures: number;
  readonly authLockoutWindowMs: number;
  /** MAIL is refused with 452 4.3.1 when less than this is free in the data directory (null: 1.5 × maxMessageBytes). */
  readonly minFreeDisk: number | null;
}

/**
 * The POP3 server's limits and policy switches (issue 4 §1–2): the fields of Pop3Limits, except the AUTH lockout,
 * which is shared with SMTP (`smtp.auth_lockout_*`: one throttle for every listener).
 */
export interface Pop3Config {
  readonly maxLineLength: number;
  readonly maxAuthLineLength: number;
  readonly idleTimeoutMs: number;
  readonly sessionTimeoutMs: number;
  readonly maxErrors: number;
  readonly maxConnections: number;
  readonly maxConnectionsPerIp: number;
  readonly authFailureDelayMs: number;
  /** Where USER/PASS and AUTH are allowed without TLS: never, to loopback clients only, or always. */
  readonly authWithoutTls: AuthWithoutTls;
  /** Offer APOP (RFC 1939 §7) to users with an APOP secret. */
  readonly apop: boolean;
  /** Processes that serve POP3 sessions: this one and `processes − 1` workers (pop3-workers.ts). */
  readonly processes: number;
}

/** A next hop as configured (a static route or the smarthost); files are read when the server starts. */
export interface RouteConfig {
  /** Host name or IP address. */
  readonly host: string;
  readonly port: number;
  /** Look up the host's MX records first (a bare name; false for `[name]` and IP addresses, as in Postfix). */
  readonly mx: boolean;
  readonly tls: TlsMode;
  /** AUTH user name, with the password in `passwordFile` (never in the configuration file). */
  readonly user: string | null;
  readonly passwordFile: string | null;
  /** PEM file of extra CA certificates to trust for verified TLS. */
  readonly caFile: string | null;
}

/** Relay: how mail for other domains leaves (issue 5 §1–2). */
export interface RelayConfig {
  /** All mail for other domains goes through this host (after `routes`); null: MX records. */
  readonly smarthost: RouteConfig | null;
  /** Lower-case domain → its static route. */
  readonly routes: Readonly<Record<string, RouteConfig>>;
  /** TLS policy of MX deliveries. */
  readonly tls: TlsMode;
  readonly mxPort: number;
  /** Transactions at once per destination. */
  readonly destinationConcurrency: number;
  /** Recipients per transaction. */
  readonly recipientLimit: number;
  readonly connectTimeoutMs: number;
  /** How long an idle connection waits for the next message to the same hop (0: no reuse). */
  readonly connectionCacheTimeMs: number;
}

/** The whole configuration, with every default filled in. */
export interface Config {
  /** The file it was read from, or null. */
  readonly file: string | null;
  /** Absolute path of the data directory. */
  readonly dataDir: string;
  readonly hostname: string;
  /** Local domains, ensured to exist in the store at start. */
  readonly domains: readonly string[];
  /** Drop privileges to this user after binding the ports (null: stay who we are). */
  readonly user: string | null;
  readonly logLevel: LogLevel;
  readonly trustedNetworks: readonly string[];
  /** How long in-flight transactions may run after SIGTERM/SIGINT. */
  readonly shutdownTimeoutMs: number;
  readonly listen: { readonly [S in ServiceName]: ListenAddress | null };
  readonly tls: { readonly cert: string | null; readonly key: string | null };
  readonly smtp: SmtpConfig;
  readonly pop3: Pop3Config;
  readonly queue: {
    readonly minBackoffMs: number;
    readonly maxBackoffMs: number;
    readonly lifetimeMs: number;
    /** Age after which a deferral owes a delay notice (NOTIFY=DELAY recipients only). */
    readonly delayWarningMs: number;
    /** Largest original returned whole in a DSN (larger: its header only). */
    readonly bounceSizeLimit: number;
    /** Messages delivered at once (local and remote together). */
    readonly concurrency: number;
    /** Deliver a message whose every recipient is one local mailbox before answering 250, without queueing it. */
    readonly deliverAtReceipt: boolean;
  };
  readonly relay: RelayConfig;
  /** Largest message body kept in the database rather than a file of its own (0: files only). */
  readonly store: { readonly inlineMaxBytes: number };
}

/** The flags that override the file (all optional; `domain` is repeatable). */
export interface ConfigFlags {
  config?: string;
  dataDir?: string;
  hostname?: string;
  domain?: readonly string[];
  smtpListen?: string;
  submissionListen?: string;
  submissionsListen?: string;
  pop3Listen?: string;
  pop3sListen?: string;
  webListen?: string;
  smarthost?: string;
  logLevel?: string;
  pop3Processes?: string;
}
