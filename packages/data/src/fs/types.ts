/** What a reader or writer needs from storage. Local disk today; `s3://` plugs in as another one. */
export interface FileSystem {
  /** URL scheme this file system serves (`file` for local paths). */
  readonly scheme: string;
  stat(path: string): Promise<FileInfo>;
  /** Every file under `dir`, recursively, as full paths. */
  listFiles(dir: string): Promise<string[]>;
  /** Bytes [start, end) of a file. */
  readRange(path: string, start: number, end: number): Promise<Uint8Array>;
  /** The file as a stream of chunks. */
  readStream(path: string): AsyncIterable<Uint8Array>;
  writeFile(path: string, data: Uint8Array | string): Promise<void>;
  mkdirs(path: string): Promise<void>;
}

export interface FileInfo {
  readonly size: number;
  readonly isDirectory: boolean;
}

/** A file to read, with its size (read tasks plan splits from it). */
export interface FileRef {
  readonly path: string;
  readonly size: number;
}
