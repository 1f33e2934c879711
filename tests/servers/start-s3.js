// start-s3.js: runs @20minutes/s3rver (an S3 server that verifies SigV4
// signatures; credentials S3RVER / S3RVER) on 127.0.0.1 for duet's tests.
// The fork has no command line, hence this script; s3rver.sh drives it.
//
//   node --openssl-legacy-provider start-s3.js PORT DIR [BUCKET...]
//
// PORT 0 picks a free port. Prints "READY 127.0.0.1:<port>" once serving;
// SIGTERM or SIGINT closes it (dropping kept-alive connections) and exits.
'use strict';

const fs = require('fs');
const path = require('path');
// s3rver escapes text itself (he.escape in its builders' value
// processor) and the fast-xml-parser 5 its lock resolves to escapes
// again: "a&b" was listed as "a&amp;amp;b". The builder's escaping is
// enough, so he.escape (used only there) passes text through.
const he = require('he');
he.escape = (s) => String(s);
// s3rver's SigV4 check builds the canonical query with
// encodeURIComponent, which leaves !'()* as they are; SigV4 (and every
// AWS SDK, rclone and duet) percent-encodes them, so a listing of the
// prefix "a!/" was refused as a bad signature. The global is looked up at
// call time: with the RFC 3986 form the canonical query is AWS's (s3rver's
// own RFC 3986 helper, built on it, is unchanged by a second pass).
{
  const plain = global.encodeURIComponent;
  global.encodeURIComponent = (v) =>
    plain(v).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
const S3rver = require('@20minutes/s3rver');
const FilesystemStore = require('@20minutes/s3rver/lib/stores/filesystem');
const S3Object = require('@20minutes/s3rver/lib/models/object');

// s3rver 4.0.4's listing with a delimiter prunes the directories two
// levels below the prefix, so a "directory" holding only deeper ones is
// missing from CommonPrefixes (a/b/c/f gives no "a/" at the root). This
// replacement walks the whole subtree of the prefix's directory, then
// folds keys into CommonPrefixes as S3 does. Same result shape.
FilesystemStore.prototype.listObjects = async function listObjects(bucket, options) {
  const { delimiter = '', startAfter = '', prefix = '', maxKeys = Infinity } = options;
  const bucketPath = this.getBucketPath(bucket);
  const suffix = '._S3rver_object';
  const cut = prefix.lastIndexOf('/');
  const start = cut < 0 ? bucketPath
    : path.join(bucketPath, FilesystemStore.encodeKeyPath(prefix.slice(0, cut)));
  const all = [];
  const walk = (dir) => {
    let names;
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch (err) {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return;
      throw err;
    }
    for (const d of names) {
      const p = path.join(dir, d.name);
      if (d.isDirectory()) walk(p);
      else if (d.name.endsWith(suffix)) {
        all.push(FilesystemStore.decodeKeyPath(p.slice(bucketPath.length + 1, -suffix.length)));
      }
    }
  };
  walk(start);
  all.sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  const commonPrefixes = new Set();
  const keys = [];
  let isTruncated = false;
  for (const key of all) {
    if (key <= startAfter || !key.startsWith(prefix)) continue;
    if (delimiter) {
      const idx = key.slice(prefix.length).indexOf(delimiter);
      if (idx !== -1) {
        commonPrefixes.add(key.slice(0, prefix.length + idx + 1));
        continue;
      }
    }
    if (keys.length < maxKeys) keys.push(key);
    else {
      isTruncated = true;
      break;
    }
  }
  const metas = await Promise.all(keys.map((key) => this.getMetadata(bucket, key).catch((err) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  })));
  return {
    objects: keys.map((k, i) => [k, metas[i]]).filter(([, m]) => m !== undefined)
      .map(([k, m]) => new S3Object(bucket, k, null, m)),
    commonPrefixes: [...commonPrefixes].sort(),
    isTruncated,
  };
};

// s3rver ignores encoding-type=url, so a key with a control character
// (rclone's golden extended_filenames case) makes XML no parser accepts.
// As S3 does, the listing's keys and prefixes are then percent-encoded
// and EncodingType says so.
const bucketCtrl = require('@20minutes/s3rver/lib/controllers/bucket');
const baseGetBucket = bucketCtrl.getBucket;
bucketCtrl.getBucket = async function getBucket(ctx) {
  await baseGetBucket(ctx);
  const r = ctx.body && ctx.body.ListBucketResult;
  if (ctx.query['encoding-type'] !== 'url' || !r) return;
  const enc = (v) => (typeof v === 'string' ? encodeURIComponent(v) : v);
  r.EncodingType = 'url';
  r.Prefix = enc(r.Prefix);
  r.Delimiter = enc(r.Delimiter);
  r.StartAfter = enc(r.StartAfter);
  for (const c of r.Contents) c.Key = enc(c.Key);
  for (const p of r.CommonPrefixes) p.Prefix = enc(p.Prefix);
};

// s3rver decodes x-amz-copy-source with decodeURI, which leaves %2C,
// %3F, %26 and the other reserved escapes as they are, so a copy of
// "a,b" finds no source. The header is decoded fully here, then encoded
// again so that s3rver's decodeURI gives the key back.
const objectCtrl = require('@20minutes/s3rver/lib/controllers/object');
for (const name of ['putObjectCopy', 'uploadPartCopy']) {
  const base = objectCtrl[name];
  objectCtrl[name] = async function copyWithSource(ctx) {
    const h = ctx.headers['x-amz-copy-source'];
    if (typeof h === 'string') ctx.headers['x-amz-copy-source'] = encodeURI(decodeURIComponent(h));
    return base(ctx);
  };
}

// S3 gives an object copied onto itself (CopyObject with REPLACE, how
// rclone and duet set an mtime) a new LastModified; s3rver rewrites only
// the metadata file and keeps the object's. Its LastModified is the
// object file's mtime, so that is set to now.
const baseCopyObject = FilesystemStore.prototype.copyObject;
FilesystemStore.prototype.copyObject = async function copyObject(
  srcBucket, srcKey, destBucket, destKey, replacementMetadata,
) {
  const dest = this.getResourcePath(destBucket, destKey, 'object');
  const same = this.getResourcePath(srcBucket, srcKey, 'object') === dest;
  if (same && replacementMetadata) {
    const now = new Date();
    await fs.promises.utimes(dest, now, now);
  }
  return baseCopyObject.call(this, srcBucket, srcKey, destBucket, destKey, replacementMetadata);
};

// s3rver has neither AbortMultipartUpload (DELETE ?uploadId) nor
// ListMultipartUploads (GET ?uploads); duet aborts failed uploads and
// its tests check that nothing is left. Both are added to s3rver's
// router right after its authentication, so requests are still signed.
const router = require('@20minutes/s3rver/lib/routes');
const S3Error = require('@20minutes/s3rver/lib/models/error');

const uploadsDir = (ctx) => ctx.store.getResourcePath(ctx.params.bucket, undefined, 'uploads');
router.delete('/:bucket/:key+', async (ctx, next) => {
  if (!('uploadId' in ctx.query)) return next();
  const id = String(ctx.query.uploadId);
  const dir = path.join(uploadsDir(ctx), id);
  if (!/^[A-Za-z0-9_-]+$/.test(id) || !fs.existsSync(dir)) {
    throw new S3Error('NoSuchUpload', 'The specified upload does not exist.', { UploadId: id });
  }
  await fs.promises.rm(dir, { recursive: true, force: true });
  ctx.status = 204;
  return undefined;
});
router.get('/:bucket', async (ctx, next) => {
  if (!('uploads' in ctx.query)) return next();
  let ids = [];
  try {
    ids = fs.readdirSync(uploadsDir(ctx));
  } catch (err) {
    if (err.code !== 'ENOENT') throw err;
  }
  const prefix = String(ctx.query.prefix || '');
  // Initiated: the upload directory's mtime (tests age an upload by
  // setting it, to see duet cleanup take only stale ones).
  const uploads = ids.map((id) => ({
    Key: fs.readFileSync(path.join(uploadsDir(ctx), id, 'key')).toString(),
    UploadId: id,
    Initiated: fs.statSync(path.join(uploadsDir(ctx), id)).mtime.toISOString(),
  })).filter((u) => u.Key.startsWith(prefix));
  ctx.body = {
    ListMultipartUploadsResult: {
      '@': { xmlns: 'http://s3.amazonaws.com/doc/2006-03-01/' },
      Bucket: ctx.params.bucket,
      Prefix: prefix,
      IsTruncated: false,
      Upload: uploads,
    },
  };
  return undefined;
});
{
  const added = router.stack.splice(router.stack.length - 2, 2);
  const auth = router.stack.findIndex((l) => l.path === '/:bucket?/:key*');
  if (auth < 0) throw new Error('start-s3.js: s3rver routes changed: no authentication layer');
  router.stack.splice(auth + 1, 0, ...added);
}

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
