import { request as httpRequest, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/**
 * Sends a request body with node:http(s) and answers a fetch Response. fetch (undici) copies every
 * body piece it sends into a new Uint8Array; for a 500 MB upload in 8 MiB chunks that garbage
 * took a worker to about 200 MB RSS (bench/publish-youtube.bench.ts), over the 150 MB budget.
 * Writing the buffer to the socket as it is copies nothing.
 *
 * The body is one buffer (a YouTube chunk) or buffers one after another in one request (an
 * Instagram upload): each is written and flushed to the socket before the next is asked for, so
 * the source may refill one reused buffer (RangeReader). An answer before the last byte (a
 * refusal) stops the writing; the Response comes once nothing more is being written.
 */
export function sendBuffer(
  url: string,
  init: {
    method: string;
    headers: Record<string, string>;
    body: Buffer | AsyncIterable<Buffer>;
    signal: AbortSignal;
  },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const whole = Buffer.isBuffer(init.body);
    let answer: Response | undefined;
    let answered: IncomingMessage | undefined;
    let writing = !whole;
    const req = send(
      target,
      {
        method: init.method,
        headers: whole
          ? { ...init.headers, 'content-length': String((init.body as Buffer).length) }
          : init.headers,
        signal: init.signal,
      },
      (res) => {
        answered = res;
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of [value ?? []].flat()) headers.append(name, v);
        }
        answer = new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, {
          status: res.statusCode,
          statusText: res.statusMessage,
          headers,
        });
        if (!writing) resolve(answer);
      },
    );
    req.on('error', reject);
    if (whole) {
      req.end(init.body);
      return;
    }
    void (async () => {
      try {
        for await (const piece of init.body as AsyncIterable<Buffer>) {
          if (answer || req.destroyed) break;
          await written(req, piece);
        }
        if (answered) {
          // Refused before the last byte: the request cannot finish; drop it once the answer is read.
          answered.once('close', () => req.destroy());
        } else if (!req.destroyed) req.end();
      } catch (err) {
        req.destroy(err as Error);
      } finally {
        writing = false;
        if (answer) resolve(answer);
      }
    })();
  });
}

/** Resolves once `piece` is handed to the socket, or the request is gone (its error rejects). */
function written(req: ClientRequest, piece: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      req.off('close', done);
      resolve();
    };
    req.once('close', done);
    req.write(piece, done);
  });
}
