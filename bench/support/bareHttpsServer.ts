/**
 * bench:ingress's floor: a bare HTTPS server with the host's certificate that reads each
 * request's body and answers 204, nothing else. A process of its own, as the host is in Azure.
 * Reads {key, cert} as JSON on stdin; prints its port.
 */
import { createServer } from 'node:https';

let input = '';
process.stdin.on('data', (c: Buffer) => (input += c.toString()));
process.stdin.on('end', () => {
  const { key, cert } = JSON.parse(input) as { key: string; cert: string };
  const server = createServer({ key, cert, keepAlive: true }, (req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204);
      res.end();
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    console.log(`listening ${typeof address === 'object' && address ? address.port : 0}`);
  });
  process.on('SIGTERM', () => server.close(() => process.exit(0)));
});
