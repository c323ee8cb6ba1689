/**
 * The application: configuration, wiring of the concrete classes, the daemon's lifecycle and administration
 * (DESIGN.md §2). The `postroom` command line is a thin adapter over these exports.
 */
export {
  applyFlags,
  applyToml,
  checkConfig,
  ConfigError,
  defaultConfig,
  KEYS,
  loadConfig,
  type Config,
  type ConfigFlags,
  type ListenAddress,
  type LogLevel,
  type Pop3Config,
  type ServiceName,
  type SmtpConfig,
} from './config.js';
export {
  AdminError,
  addAlias,
  addDomain,
  addUser,
  deleteAlias,
  deleteDomain,
  deleteUser,
  listAliases,
  listDomains,
  listUsers,
  parseAddress,
  setApopSecret,
  setPassword,
  status,
  type AdminErrorKind,
  type Status,
  type UserSummary,
} from './admin.js';
export {
  deleteQueueItem,
  getQueueItem,
  holdQueueItem,
  isOpenRcpt,
  listQueue,
  MAX_HEADER_BYTES,
  printable,
  readQueuedHeader,
  retryQueue,
  showQueueItem,
  type QueuedHeader,
  type QueueItemDetail,
  type RetryResult,
} from './queue-admin.js';
export {
  assertNoServer,
  checkSocketPath,
  CONTROL_SOCKET_NAME,
  ControlSocketError,
  controlSocketPath,
  MAX_SOCKET_PATH_BYTES,
  notifyDaemon,
  startControlServer,
  type ControlLog,
  type ControlServer,
  type ControlServerOptions,
  type ControlSocketErrorKind,
} from './control.js';
export { startDaemon, runDaemon, type Daemon, type DaemonIo } from './daemon.js';
export { runPop3Worker } from './pop3-worker.js';
export { createLogger, type Logger } from './log.js';
export { generateSelfSigned, loadTls, type TlsMaterial, type TlsSettings } from './tls.js';
export {
  buildMta,
  buildPop3Backend,
  buildPop3Server,
  buildSmtpServer,
  newAuthThrottle,
  openStore,
  POP3_SERVICES,
  SMTP_SERVICES,
  type Mta,
  type Pop3Service,
  type SmtpService,
} from './wiring.js';
export { dropPrivileges, lookupUser, resolveRunAs, type SystemUser } from './privileges.js';
export type { QueueItem, QueueRcpt, Store } from '../store/index.js';
