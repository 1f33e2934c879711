// start-s3.js: runs @20minutes/s3rver (an S3 server that verifies SigV4
// signatures; credentials S3RVER / S3RVER) on 127.0.0.1 for duet's tests.
// The fork has no command line, hence this script; s3rver.sh drives it.
//
//   node --openssl-legacy-provider start-s3.js PORT DIR [BUCKET...]
//
// PORT 0 picks a free port. Prints "READY 127.0.0.1:<port>" once serving;
// SIGTERM or SIGINT closes it (dropping kept-alive connections) and exits.
'use strict';

const S3rver = require('@20minutes/s3rver');

const [port, dir, ...buckets] = process.argv.slice(2);
if (port === undefined || dir === undefined) {
  console.error('usage: start-s3.js PORT DIR [BUCKET...]');
  process.exit(2);
}

const server = new S3rver({
  address: '127.0.0.1',
  port: Number(port),
  directory: dir,
  configureBuckets: buckets.map((name) => ({ name, configs: [] })),
});

server.run().then(
  ({ address, port: bound }) => console.log(`READY ${address}:${bound}`),
  (err) => {
    console.error(`s3rver failed to start: ${err && err.stack ? err.stack : err}`);
    process.exit(1);
  },
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  // Node 18 waits for idle keep-alive connections on close(); drop them.
  if (server.httpServer && server.httpServer.closeAllConnections) {
    server.httpServer.closeAllConnections();
  }
  setTimeout(() => process.exit(0), 2000).unref();
  server.close().then(() => process.exit(0), () => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
