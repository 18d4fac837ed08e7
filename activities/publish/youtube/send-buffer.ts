import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';

/**
 * Sends one chunk with node:http(s) and answers a fetch Response. fetch (undici) copies every
 * body piece it sends into a new Uint8Array; for a 500 MB upload in 8 MiB chunks that garbage
 * took a worker to about 200 MB RSS (bench/publish-youtube.bench.ts), over the 150 MB budget.
 * Writing the chunk buffer to the socket as it is copies nothing.
 */
export function sendBuffer(
  url: string,
  init: { method: string; headers: Record<string, string>; body: Buffer; signal: AbortSignal },
): Promise<Response> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      target,
      {
        method: init.method,
        headers: { ...init.headers, 'content-length': String(init.body.length) },
        signal: init.signal,
      },
      (res) => {
        const headers = new Headers();
        for (const [name, value] of Object.entries(res.headers)) {
          for (const v of [value ?? []].flat()) headers.append(name, v);
        }
        resolve(
          new Response(Readable.toWeb(res) as ReadableStream<Uint8Array>, {
            status: res.statusCode,
            statusText: res.statusMessage,
            headers,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
