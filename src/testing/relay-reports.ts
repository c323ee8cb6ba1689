/**
 * Test helpers for the relay DSN tests (issue 5 §4): read a delivered report two ways, with Python's email package
 * (a reader no one here wrote; `policy.default` parses message/delivery-status into one header block per RFC 3464
 * §2.1 block) and with our MIME library (`parseMessageBuffer` + `readReport`).
 *
 * Limits: the Python reader needs python3 (scripts/install-peers); it runs one short process per message.
 */
import { execFileSync } from 'node:child_process';
import { parseMessageBuffer, readReport, type Report } from '../mime/index.js';

const PY = `
import sys, json, email
from email import policy
msg = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
out = {"type": msg.get_content_type(), "report_type": msg.get_param("report-type"), "subject": str(msg["subject"]),
  "from": [a.addr_spec for a in msg["from"].addresses], "to": [a.addr_spec for a in msg["to"].addresses],
  "auto_submitted": str(msg["auto-submitted"]), "parts": [], "blocks": [], "original_headers": None, "original": None,
  "defects": [type(d).__name__ for part in msg.walk() for d in part.defects]}
for part in msg.iter_parts():
    ctype = part.get_content_type()
    out["parts"].append(ctype)
    if ctype == "message/delivery-status":
        out["blocks"] = [{k.lower(): str(v) for k, v in block.items()} for block in part.get_payload()]
    elif ctype == "text/rfc822-headers":
        out["original_headers"] = part.get_content()
    elif ctype == "message/rfc822":
        inner = part.get_payload(0)
        out["original"] = {"subject": str(inner["subject"]), "body": inner.get_content()}
print(json.dumps(out))
`;

/** A report as Python's email package sees it. */
export interface PythonReportView {
  /** The top-level content type. */
  readonly type: string;
  readonly report_type: string | null;
  readonly subject: string;
  readonly from: string[];
  readonly to: string[];
  readonly auto_submitted: string;
  /** Content types of the report's parts, in order. */
  readonly parts: string[];
  /** The delivery-status blocks: the per-message block, then one per recipient (lower-case field names). */
  readonly blocks: Record<string, string>[];
  /** The text/rfc822-headers part, decoded (RET=HDRS). */
  readonly original_headers: string | null;
  /** The message/rfc822 part's Subject and body (RET=FULL). */
  readonly original: { subject: string; body: string } | null;
  /** Parse defects Python found anywhere in the message. */
  readonly defects: string[];
}

/**
 * Parses a report with Python's email package (python3 must be installed; needPeer checks it).
 *
 * @example
 * ```ts
 * const py = pythonReport(raw); // py.type === 'multipart/report', py.blocks[1].action === 'failed'
 * ```
 */
export function pythonReport(raw: Buffer): PythonReportView {
  return JSON.parse(execFileSync('python3', ['-c', PY], { input: raw, encoding: 'utf8', timeout: 20_000 })) as PythonReportView;
}

/**
 * Parses a message with our MIME library and reads its report; throws when it is not one.
 *
 * @example
 * ```ts
 * ourReport(raw).recipients[0]?.['action'] === 'failed';
 * ```
 */
export function ourReport(raw: Buffer): Report & { readonly subject: string | undefined } {
  const parsed = parseMessageBuffer(raw);
  const report = readReport(parsed);
  if (!report) throw new Error(`Not a report (no multipart/report): ${raw.toString('utf8', 0, 600)}`);
  return { ...report, subject: parsed.subject };
}
