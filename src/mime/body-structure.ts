/**
 * Which parts are the message's text, its HTML, and its attachments: the algorithm of RFC 8621 §4.1.4 (JMAP
 * textBody / htmlBody / attachments), which Stalwart, Fastmail and Cyrus use, so that a reader shows the same
 * body as they do.
 *
 * Guarantees: every leaf lands in at least one of the three lists; message/rfc822 parts are attachments
 * (their inner parts are not bodies of the outer message).
 */
import type { PartNode } from './tokenizer.js';
import { partInfo } from './part-info.js';

/** Indexes (PartNode.index) of the body parts and attachments. */
export interface BodyStructure {
  textBody: number[];
  htmlBody: number[];
  attachments: number[];
}

const inlineMedia = (mime: string): boolean => /^(image|audio|video)\//.test(mime);

/**
 * Classifies the leaves of a parsed tree.
 *
 * @example
 * ```ts
 * const s = bodyStructure(tokenizer.root);
 * s.textBody; // [1]
 * ```
 */
export function bodyStructure(root: PartNode): BodyStructure {
  const text: number[] = [];
  const html: number[] = [];
  const attachments: number[] = [];
  if (root.kind === 'multipart') walk(root.children, root.type.subtype, root.type.subtype === 'alternative', text, html, attachments);
  else walk([root], 'mixed', false, text, html, attachments);
  return { textBody: text, htmlBody: html, attachments };
}

function walk(
  parts: readonly PartNode[],
  multipartType: string,
  inAlternative: boolean,
  textBody: number[] | null,
  htmlBody: number[] | null,
  attachments: number[],
): void {
  const textLength = textBody ? textBody.length : -1;
  const htmlLength = htmlBody ? htmlBody.length : -1;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const mime = part.type.mime;
    const info = partInfo(part);
    const isInline =
      info.disposition !== 'attachment' &&
      (mime === 'text/plain' || mime === 'text/html' || inlineMedia(mime)) &&
      (i === 0 || (multipartType !== 'related' && (inlineMedia(mime) || info.filename === undefined)));
    if (part.kind === 'multipart') {
      const sub = part.type.subtype;
      walk(part.children, sub, inAlternative || sub === 'alternative', textBody, htmlBody, attachments);
    } else if (isInline && part.kind === 'leaf') {
      if (multipartType === 'alternative') {
        if (mime === 'text/plain') textBody?.push(part.index);
        else if (mime === 'text/html') htmlBody?.push(part.index);
        else attachments.push(part.index);
        continue;
      } else if (inAlternative) {
        if (mime === 'text/plain') htmlBody = null;
        if (mime === 'text/html') textBody = null;
      }
      textBody?.push(part.index);
      htmlBody?.push(part.index);
      if ((!textBody || !htmlBody) && inlineMedia(mime)) attachments.push(part.index);
    } else {
      attachments.push(part.index);
    }
  }
  if (multipartType === 'alternative' && textBody && htmlBody) {
    // Only an HTML part was found: it serves as the text body too, and the other way round.
    if (textLength === textBody.length && htmlLength !== htmlBody.length) textBody.push(...htmlBody.slice(htmlLength));
    if (htmlLength === htmlBody.length && textLength !== textBody.length) htmlBody.push(...textBody.slice(textLength));
  }
}
