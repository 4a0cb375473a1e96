/** What the command needs from its runtime: output streams and file writing. */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  writeFile(path: string, bytes: Uint8Array): Promise<void>;
}
