'use strict';

// The global `console`: Node's formatting (util.formatWithOptions) written
// synchronously to stdout or stderr, with groups, counters, timers and assert.

const {
  ArrayPrototypeJoin,
  ArrayPrototypeMap,
  SafeMap,
  StringPrototypeRepeat,
  StringPrototypeReplaceAll,
} = primordials;

const { formatWithOptions, inspect } = require('internal/util/inspect');
const binding = internalBinding('process');

const kGroupIndentationWidth = 2;
let groupIndent = '';
const counts = new SafeMap();
const timers = new SafeMap();
const colors = [binding.isatty(1), binding.isatty(2)];

function write(fd, args) {
  let text = formatWithOptions({ colors: colors[fd - 1] }, ...args);
  if (groupIndent !== '') {
    text = groupIndent + StringPrototypeReplaceAll(text, '\n', `\n${groupIndent}`);
  }
  binding.print(`${text}\n`, fd);
}

function formatTime(ms) {
  if (ms >= 1000) return `${(ms / 1000).toFixed(3)}s`;
  return `${ms.toFixed(3)}ms`;
}

function now() {
  return binding.uptime() * 1000;
}

const console = {
  log(...args) { write(1, args); },
  info(...args) { write(1, args); },
  debug(...args) { write(1, args); },
  dirxml(...args) { write(1, args); },
  warn(...args) { write(2, args); },
  error(...args) { write(2, args); },
  trace: function trace(...args) {
    const err = { name: 'Trace', message: formatWithOptions({ colors: false }, ...args) };
    Error.captureStackTrace(err, trace);
    write(2, [err.stack]);
  },
  dir(object, options) {
    binding.print(`${groupIndent}${inspect(object, { customInspect: false, colors: colors[0], ...options })}\n`, 1);
  },
  assert(expression, ...args) {
    if (!expression) {
      args[0] = `Assertion failed${args.length === 0 ? '' : `: ${args[0]}`}`;
      write(2, args);
    }
  },
  count(label = 'default') {
    label = `${label}`;
    const n = (counts.get(label) ?? 0) + 1;
    counts.set(label, n);
    write(1, [`${label}: ${n}`]);
  },
  countReset(label = 'default') {
    label = `${label}`;
    if (!counts.has(label)) {
      process.emitWarning(`Count for '${label}' does not exist`);
      return;
    }
    counts.delete(label);
  },
  time(label = 'default') {
    label = `${label}`;
    if (timers.has(label)) {
      process.emitWarning(`Label '${label}' already exists for console.time()`);
      return;
    }
    timers.set(label, now());
  },
  timeEnd(label = 'default') {
    label = `${label}`;
    if (!timers.has(label)) {
      process.emitWarning(`No such label '${label}' for console.timeEnd()`);
      return;
    }
    write(1, [`${label}: ${formatTime(now() - timers.get(label))}`]);
    timers.delete(label);
  },
  timeLog(label = 'default', ...data) {
    label = `${label}`;
    if (!timers.has(label)) {
      process.emitWarning(`No such label '${label}' for console.timeLog()`);
      return;
    }
    write(1, [`${label}: ${formatTime(now() - timers.get(label))}`, ...data]);
  },
  group(...data) {
    if (data.length > 0) write(1, data);
    groupIndent += StringPrototypeRepeat(' ', kGroupIndentationWidth);
  },
  groupCollapsed(...data) {
    console.group(...data);
  },
  groupEnd() {
    groupIndent = groupIndent.slice(0, groupIndent.length - kGroupIndentationWidth);
  },
  table(data, properties) {
    if (data === null || typeof data !== 'object') return console.log(data);
    const rows = Object.keys(data);
    const columns = [];
    const hasPrimitives = rows.some((r) => data[r] === null || typeof data[r] !== 'object');
    for (const r of rows) {
      const v = data[r];
      if (v !== null && typeof v === 'object') {
        for (const k of Object.keys(v)) {
          if (!columns.includes(k) && (properties === undefined || properties.includes(k))) columns.push(k);
        }
      }
    }
    const header = ['(index)', ...columns, ...(hasPrimitives ? ['Values'] : [])];
    const cell = (v) => (v === undefined ? '' : inspect(v, { breakLength: Infinity, colors: false }));
    const table = rows.map((r) => {
      const v = data[r];
      const isObj = v !== null && typeof v === 'object';
      return [r, ...columns.map((c) => (isObj ? cell(v[c]) : '')), ...(hasPrimitives ? [isObj ? '' : cell(v)] : [])];
    });
    const widths = header.map((h, i) => Math.max(h.length, ...table.map((row) => row[i].length)) + 2);
    const pad = (s, w) => {
      const left = Math.floor((w - s.length) / 2);
      return ' '.repeat(left) + s + ' '.repeat(w - s.length - left);
    };
    const line = (l, m, r) => l + ArrayPrototypeJoin(ArrayPrototypeMap(widths, (w) => '─'.repeat(w)), m) + r;
    const out = [
      line('┌', '┬', '┐'),
      `│${ArrayPrototypeJoin(ArrayPrototypeMap(header, (h, i) => pad(h, widths[i])), '│')}│`,
      line('├', '┼', '┤'),
      ...table.map((row) => `│${ArrayPrototypeJoin(ArrayPrototypeMap(row, (c, i) => pad(c, widths[i])), '│')}│`),
      line('└', '┴', '┘'),
    ];
    write(1, [ArrayPrototypeJoin(out, '\n')]);
  },
  clear() {},
  profile() {},
  profileEnd() {},
  timeStamp() {},
};

module.exports = console;
