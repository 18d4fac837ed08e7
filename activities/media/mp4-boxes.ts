/**
 * Reads an MP4 file's top-level boxes (ftyp, moov, mdat...) from their headers only, so a
 * rendition can be checked for "moov before mdat" (fast start) without trusting the muxer flags,
 * and x264's settings can be read back from the start of the video data.
 */
import { open } from 'node:fs/promises';

export interface Mp4Box {
  type: string;
  offset: number;
  size: number;
}

/** Top-level boxes in file order. Stops at the first malformed header. */
export async function topLevelBoxes(path: string): Promise<Mp4Box[]> {
  const file = await open(path, 'r');
  try {
    const { size: fileSize } = await file.stat();
    const boxes: Mp4Box[] = [];
    const header = Buffer.alloc(16);
    let offset = 0;
    while (offset + 8 <= fileSize) {
      const { bytesRead } = await file.read(header, 0, 16, offset);
      if (bytesRead < 8) break;
      let size = header.readUInt32BE(0);
      const type = header.toString('latin1', 4, 8);
      if (size === 1) {
        if (bytesRead < 16) break;
        size = Number(header.readBigUInt64BE(8));
      } else if (size === 0) {
        size = fileSize - offset; // "extends to end of file"
      }
      if (size < 8 || !/^[\x20-\x7e]{4}$/.test(type)) break;
      boxes.push({ type, offset, size });
      offset += size;
    }
    return boxes;
  } finally {
    await file.close();
  }
}

/** True when a moov box exists and comes before the first mdat: players can start before the download ends. */
export function isFastStart(boxes: readonly Mp4Box[]): boolean {
  const moov = boxes.findIndex((b) => b.type === 'moov');
  const mdat = boxes.findIndex((b) => b.type === 'mdat');
  return moov >= 0 && mdat >= 0 && moov < mdat;
}

/**
 * The options string x264 writes into the stream's first SEI ("... keyint=60 ... open_gop=0 ..."),
 * as key/value pairs, or undefined when the file holds none (another encoder).
 */
export async function readX264Settings(
  path: string,
  boxes: readonly Mp4Box[],
): Promise<Record<string, string> | undefined> {
  const mdat = boxes.find((b) => b.type === 'mdat');
  if (!mdat) return undefined;
  const file = await open(path, 'r');
  try {
    const chunk = Buffer.alloc(Math.min(64 * 1024, mdat.size));
    const { bytesRead } = await file.read(chunk, 0, chunk.length, mdat.offset);
    const text = chunk.toString('latin1', 0, bytesRead);
    const start = text.indexOf('x264 - core');
    if (start < 0) return undefined;
    const end = text.indexOf('\0', start);
    const options = text.slice(start, end < 0 ? undefined : end).split(' - options: ')[1] ?? '';
    return Object.fromEntries(
      options
        .split(' ')
        .map((pair) => pair.split('='))
        .filter((kv) => kv.length === 2),
    );
  } finally {
    await file.close();
  }
}
