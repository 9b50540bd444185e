/** Baseline: the smallest honest Node HTTP proxy of the origin — no auth, no accounting. */
import http from "node:http";

const upstream = new URL(process.env.BENCH_UPSTREAM!);
const agent = new http.Agent({ keepAlive: true });
http
  .createServer((req, res) => {
    const forward = http.get({ host: upstream.hostname, port: upstream.port, path: req.url, agent, headers: { range: req.headers.range ?? "" } }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    forward.on("error", () => res.destroy());
    res.on("close", () => forward.destroy());
  })
  .listen(Number(process.env.BENCH_PORT), "127.0.0.1", () => console.log(`http://127.0.0.1:${process.env.BENCH_PORT}`));
process.on("SIGTERM", () => process.exit(0));
