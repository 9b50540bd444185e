import type { Readable } from "node:stream";

/**
 * Responses whose bytes come from a Node stream (downloads). The custom
 * server pipes that stream straight into the socket with backpressure,
 * instead of going through a web ReadableStream: @remix-run/express writes
 * web stream bodies without waiting for `drain`, so a fast upstream and a
 * slow client would pile the whole file up in memory.
 */
const registry = new WeakMap<Response, Readable>();

export function responseFromNodeStream(stream: Readable, init: ResponseInit): Response {
  let iterator: AsyncIterator<Buffer> | undefined;
  // Read only if someone other than the custom server consumes the body:
  // highWaterMark 0, or the web stream would pull a first chunk at once.
  const body = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(next.value);
      },
      cancel(reason) {
        stream.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
  const response = new Response(body, init);
  registry.set(response, stream);
  return response;
}

export function nodeBodyOf(response: Response): Readable | undefined {
  return registry.get(response);
}
