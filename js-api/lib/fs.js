'use strict';

// weir's `fs`: whole-file reads and writes, stat, directories and existence checks,
// with Node's signatures, errors (`code`, `errno`, `syscall`, `path`) and Stats.
// readFile, writeFile and stat run off the event loop; the other callback and
// promise forms call the synchronous operation and settle asynchronously.
// createReadStream is native-backed (internal/fs/streams); write streams and file
// descriptors are not part of this module yet.

const {
  ArrayPrototypeMap,
  DateNow,
  FunctionPrototypeCall,
  ObjectFreeze,
  Promise,
  PromiseResolve,
} = primordials;

const binding = internalBinding('fs');
const { Buffer } = require('buffer');
const { toPathIfFileURL } = require('internal/url');
const { validateFunction } = require('internal/validators');
const { ERR_INVALID_ARG_TYPE } = require('internal/errors').codes;

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;
const S_IFCHR = 0o020000;
const S_IFBLK = 0o060000;
const S_IFIFO = 0o010000;
const S_IFLNK = 0o120000;
const S_IFSOCK = 0o140000;

const constants = ObjectFreeze({
  F_OK: 0, R_OK: 4, W_OK: 2, X_OK: 1,
  O_RDONLY: 0, O_WRONLY: 1, O_RDWR: 2, O_CREAT: 0o100, O_EXCL: 0o200, O_TRUNC: 0o1000, O_APPEND: 0o2000,
  S_IFMT, S_IFREG, S_IFDIR, S_IFCHR, S_IFBLK, S_IFIFO, S_IFLNK, S_IFSOCK,
});

function getPath(p, name = 'path') {
  p = toPathIfFileURL(p);
  if (typeof p === 'string') return p;
  if (Buffer.isBuffer(p)) return p.toString();
  throw new ERR_INVALID_ARG_TYPE(name, ['string', 'Buffer', 'URL'], p);
}

function getOptions(options, defaults) {
  if (options === undefined || options === null || typeof options === 'function') return defaults;
  if (typeof options === 'string') return { ...defaults, encoding: options };
  return { ...defaults, ...options };
}

function msToDate(ms) {
  return new Date(Math.round(ms));
}

class Stats {
  constructor(values) {
    [this.dev, this.mode, this.nlink, this.uid, this.gid, this.rdev, this.blksize,
     this.ino, this.size, this.blocks, this.atimeMs, this.mtimeMs, this.ctimeMs,
     this.birthtimeMs] = values;
    this.atime = msToDate(this.atimeMs);
    this.mtime = msToDate(this.mtimeMs);
    this.ctime = msToDate(this.ctimeMs);
    this.birthtime = msToDate(this.birthtimeMs);
  }
  isFile() { return (this.mode & S_IFMT) === S_IFREG; }
  isDirectory() { return (this.mode & S_IFMT) === S_IFDIR; }
  isSymbolicLink() { return (this.mode & S_IFMT) === S_IFLNK; }
  isCharacterDevice() { return (this.mode & S_IFMT) === S_IFCHR; }
  isBlockDevice() { return (this.mode & S_IFMT) === S_IFBLK; }
  isFIFO() { return (this.mode & S_IFMT) === S_IFIFO; }
  isSocket() { return (this.mode & S_IFMT) === S_IFSOCK; }
}

class Dirent {
  constructor(name, type, dir) {
    this.name = name;
    this.path = dir;
    this._type = type;
  }
  isFile() { return this._type === 1; }
  isDirectory() { return this._type === 2; }
  isSymbolicLink() { return this._type === 3; }
  isCharacterDevice() { return false; }
  isBlockDevice() { return false; }
  isFIFO() { return false; }
  isSocket() { return false; }
}

function toBuffer(u8) {
  return Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

function decode(u8, encoding) {
  const buf = toBuffer(u8);
  return encoding && encoding !== 'buffer' ? buf.toString(encoding) : buf;
}

function toBytes(data, encoding) {
  if (typeof data === 'string') return Buffer.from(data, encoding || 'utf8');
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new ERR_INVALID_ARG_TYPE('data', ['string', 'Buffer', 'TypedArray', 'DataView'], data);
}

// --- synchronous ------------------------------------------------------------

function readFileSync(path, options) {
  const { encoding } = getOptions(options, { encoding: null });
  return decode(binding.readFileSync(getPath(path)), encoding);
}

function writeFileSync(path, data, options) {
  const { encoding, flag } = getOptions(options, { encoding: 'utf8', flag: 'w' });
  binding.writeFileSync(getPath(path), toBytes(data, encoding), flag === 'a' || flag === 'a+');
}

function appendFileSync(path, data, options) {
  const { encoding } = getOptions(options, { encoding: 'utf8' });
  binding.writeFileSync(getPath(path), toBytes(data, encoding), true);
}

function statSync(path, options = { throwIfNoEntry: true }) {
  const values = binding.statSync(getPath(path), true, options.throwIfNoEntry !== false);
  return values === undefined ? undefined : new Stats(values);
}

function lstatSync(path, options = { throwIfNoEntry: true }) {
  const values = binding.statSync(getPath(path), false, options.throwIfNoEntry !== false);
  return values === undefined ? undefined : new Stats(values);
}

function existsSync(path) {
  try {
    return binding.statSync(getPath(path), true, false) !== undefined;
  } catch {
    return false;
  }
}

function accessSync(path) {
  binding.statSync(getPath(path), true, true);
}

function readdirSync(path, options) {
  const { withFileTypes } = getOptions(options, { withFileTypes: false });
  const dir = getPath(path);
  const [names, types] = binding.readdirSync(dir);
  if (!withFileTypes) return names;
  return ArrayPrototypeMap(names, (name, i) => new Dirent(name, types[i], dir));
}

function mkdirSync(path, options) {
  const { recursive, mode } = getOptions(typeof options === 'number' ? { mode: options } : options,
                                         { recursive: false, mode: 0o777 });
  const p = getPath(path);
  const existed = recursive ? existsSync(p) : false;
  binding.mkdirSync(p, !!recursive, mode);
  return recursive && !existed ? p : undefined;
}

function rmSync(path, options) {
  const { recursive, force } = getOptions(options, { recursive: false, force: false });
  binding.rmSync(getPath(path), !!recursive, !!force);
}

function unlinkSync(path) {
  binding.unlinkSync(getPath(path));
}

function realpathSync(path) {
  return binding.realpathSync(getPath(path));
}

// --- promises ---------------------------------------------------------------

function later(fn) {
  return new Promise((resolve, reject) => {
    process.nextTick(() => {
      try {
        resolve(fn());
      } catch (err) {
        reject(err);
      }
    });
  });
}

const promises = {
  async readFile(path, options) {
    const { encoding } = getOptions(options, { encoding: null });
    return decode(await binding.readFile(getPath(path)), encoding);
  },
  async writeFile(path, data, options) {
    const { encoding, flag } = getOptions(options, { encoding: 'utf8', flag: 'w' });
    await binding.writeFile(getPath(path), toBytes(data, encoding), flag === 'a' || flag === 'a+');
  },
  async appendFile(path, data, options) {
    const { encoding } = getOptions(options, { encoding: 'utf8' });
    await binding.writeFile(getPath(path), toBytes(data, encoding), true);
  },
  async stat(path) {
    return new Stats(await binding.stat(getPath(path), true));
  },
  async lstat(path) {
    return new Stats(await binding.stat(getPath(path), false));
  },
  access(path) { return later(() => accessSync(path)); },
  readdir(path, options) { return later(() => readdirSync(path, options)); },
  mkdir(path, options) { return later(() => mkdirSync(path, options)); },
  rm(path, options) { return later(() => rmSync(path, options)); },
  unlink(path) { return later(() => unlinkSync(path)); },
  realpath(path) { return later(() => realpathSync(path)); },
};

// --- callbacks --------------------------------------------------------------

function callbackify(promiseFn) {
  return function(...args) {
    const cb = args.pop();
    validateFunction(cb, 'cb');
    FunctionPrototypeCall(promiseFn, promises, ...args).then(
      (value) => cb(null, value),
      (err) => cb(err),
    );
  };
}

function exists(path, cb) {
  validateFunction(cb, 'cb');
  const result = existsSync(path);
  process.nextTick(cb, result);
}

module.exports = {
  constants,
  Stats,
  Dirent,
  promises,
  readFileSync,
  writeFileSync,
  appendFileSync,
  statSync,
  lstatSync,
  existsSync,
  accessSync,
  readdirSync,
  mkdirSync,
  rmSync,
  unlinkSync,
  realpathSync,
  readFile: callbackify(promises.readFile),
  writeFile: callbackify(promises.writeFile),
  appendFile: callbackify(promises.appendFile),
  stat: callbackify(promises.stat),
  lstat: callbackify(promises.lstat),
  access: callbackify(promises.access),
  readdir: callbackify(promises.readdir),
  mkdir: callbackify(promises.mkdir),
  rm: callbackify(promises.rm),
  unlink: callbackify(promises.unlink),
  realpath: callbackify(promises.realpath),
  exists,
  get ReadStream() { return require('internal/fs/streams').ReadStream; },
  createReadStream(path, options) {
    if (typeof options === 'string') options = { encoding: options };
    return require('internal/fs/streams').createReadStream(getPath(path), options);
  },
};
