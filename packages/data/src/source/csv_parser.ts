/** A parsed CSV record with the 1-based line it starts on. */
export interface CsvRecord {
  readonly fields: string[];
  readonly line: number;
}

/**
 * Incremental RFC 4180 parser: `push` text chunks, get back complete records; quoted fields may
 * hold delimiters, doubled quotes and newlines; CRLF and LF both end records; blank lines skip.
 */
export class CsvParser {
  private field = '';
  private fields: string[] = [];
  private inQuotes = false;
  private quoteSeen = false;
  private line = 1;
  private recordLine = 1;
  private pendingCR = false;
  private dirty = false;

  constructor(private readonly delimiter = ',') {}

  push(text: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    const d = this.delimiter;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (this.pendingCR) {
        this.pendingCR = false;
        if (c === '\n') continue;
      }
      if (this.inQuotes) {
        if (c === '"') {
          if (text[i + 1] === '"') {
            this.field += '"';
            i++;
          } else if (i + 1 === text.length) {
            // A quote at the chunk's end: decided by the next chunk's first char.
            this.inQuotes = false;
            this.quoteSeen = true;
          } else this.inQuotes = false;
        } else {
          if (c === '\n') this.line++;
          this.field += c;
        }
        continue;
      }
      if (this.quoteSeen) {
        this.quoteSeen = false;
        if (c === '"') {
          this.field += '"';
          this.inQuotes = true;
          continue;
        }
      }
      if (c === '"' && this.field === '') {
        this.inQuotes = true;
        this.dirty = true;
      } else if (c === d) {
        this.fields.push(this.field);
        this.field = '';
        this.dirty = true;
      } else if (c === '\n' || c === '\r') {
        if (c === '\r') this.pendingCR = true;
        this.endRecord(out);
        this.line++;
        this.recordLine = this.line;
      } else {
        this.field += c;
        this.dirty = true;
      }
    }
    return out;
  }

  /** Flush the last record (a file need not end with a newline). */
  end(): CsvRecord[] {
    const out: CsvRecord[] = [];
    this.quoteSeen = false;
    this.endRecord(out);
    return out;
  }

  /** True when the input ended inside a quoted field. */
  get unterminatedQuote(): boolean {
    return this.inQuotes;
  }

  private endRecord(out: CsvRecord[]): void {
    if (this.dirty) {
      this.fields.push(this.field);
      out.push({ fields: this.fields, line: this.recordLine });
    }
    this.fields = [];
    this.field = '';
    this.dirty = false;
  }
}
