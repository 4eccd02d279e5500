// Splitting a text file into sentences for the CLI. The rules, in order:
//  1. Line breaks (\n, \r\n, \r) and therefore blank lines end a sentence.
//  2. Markdown scaffolding is dropped at line starts: heading marks (#), list bullets (-, *, +,
//     "1."), block quotes (>), and code-fence lines (```) entirely.
//  3. Within a line, a sentence ends after 。！？ (Japanese/Chinese; also ．), and after . ! ? when
//     followed by whitespace or the end of the line. Closing quotes and brackets right after the
//     mark stay with the sentence ("Stop!" she said → «"Stop!"» and «she said»).
//  4. The terminal punctuation stays; pieces are trimmed; pieces shorter than `minLength`
//     characters (code points) are dropped.
// Known limits: abbreviations such as "e.g. " or "Dr. " end a sentence.
import { InvalidArgumentError } from '../errors';
import { integerOption } from '../validate';

export interface SplitOptions {
  /** Shortest sentence kept, in characters (code points). Default 5. */
  minLength?: number;
}

const CJK_END = '。！？．';
const WESTERN_END = '.!?';
const CLOSERS = '"\'”’）)]」』】》»〉';

function splitLine(line: string): string[] {
  const out: string[] = [];
  const chars = Array.from(line);
  let current = '';
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i];
    current += c;
    const cjk = CJK_END.includes(c);
    const western = WESTERN_END.includes(c);
    if (!cjk && !western) continue;
    // Swallow repeated marks and closing quotes/brackets: "Really?!" and 「はい。」
    let j = i + 1;
    while (j < chars.length && (CJK_END.includes(chars[j]) || WESTERN_END.includes(chars[j]) || CLOSERS.includes(chars[j]))) {
      current += chars[j];
      j++;
    }
    const atEnd = j >= chars.length;
    if (cjk || atEnd || /\s/.test(chars[j])) {
      out.push(current);
      current = '';
    }
    i = j - 1;
  }
  if (current) out.push(current);
  return out;
}

function stripMarkdown(line: string): string | undefined {
  if (/^\s*(```|~~~)/.test(line)) return undefined;
  return line.replace(/^\s*(#{1,6}\s+|>\s?|[-*+]\s+|\d+[.)]\s+)/, '');
}

/** Splits text into sentences by the rules above. */
export function splitSentences(text: string, options: SplitOptions = {}): string[] {
  const minLength = options.minLength === undefined ? 5 : integerOption(options.minLength, 'minLength');
  const sentences: string[] = [];
  let fenced = false;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (/^\s*(```|~~~)/.test(raw)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) continue;
    const line = stripMarkdown(raw);
    if (line === undefined) continue;
    for (const piece of splitLine(line)) {
      const s = piece.trim();
      if (Array.from(s).length >= minLength && s.length > 0) sentences.push(s);
    }
  }
  return sentences;
}

/**
 * Decodes a file's bytes as UTF-8 text; binary data (NUL bytes) and invalid UTF-8 are errors
 * naming the file and the byte offset.
 */
export function decodeText(bytes: Uint8Array, name: string): string {
  const nul = bytes.indexOf(0);
  if (nul >= 0) throw new InvalidArgumentError(`${name} looks binary (a NUL byte at offset ${nul}); give a UTF-8 text file (.txt, .md)`);
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    let offset = 0;
    // Find the first bad byte for the message.
    for (let lo = 0, hi = bytes.length; lo < hi;) {
      const mid = (lo + hi) >> 1;
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, mid + 1), { stream: true });
        lo = mid + 1;
        offset = lo;
      } catch {
        hi = mid;
        offset = mid;
      }
    }
    throw new InvalidArgumentError(
      `${name} is not valid UTF-8 (first bad byte near offset ${offset}); convert it, e.g. iconv -f SHIFT_JIS -t UTF-8`,
    );
  }
}
