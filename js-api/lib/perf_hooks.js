'use strict';

// `performance` (now, timeOrigin, mark, measure, entries) and `perf_hooks`.

const { now, getTimeOrigin } = require('internal/perf/utils');

class PerformanceEntry {
  constructor(name, entryType, startTime, duration, detail) {
    this.name = name;
    this.entryType = entryType;
    this.startTime = startTime;
    this.duration = duration;
    if (detail !== undefined) this.detail = detail;
  }
  toJSON() {
    return { name: this.name, entryType: this.entryType, startTime: this.startTime, duration: this.duration, detail: this.detail };
  }
}

const entries = [];

class Performance {
  get timeOrigin() { return getTimeOrigin(); }
  now() { return now(); }
  mark(name, options = {}) {
    const entry = new PerformanceEntry(`${name}`, 'mark', options.startTime ?? now(), 0, options.detail);
    entries.push(entry);
    return entry;
  }
  measure(name, startOrOptions, endMark) {
    const find = (m) => {
      if (m === undefined) return undefined;
      if (typeof m === 'number') return m;
      for (let i = entries.length - 1; i >= 0; i--) {
        if (entries[i].entryType === 'mark' && entries[i].name === m) return entries[i].startTime;
      }
      const { ERR_INVALID_PERFORMANCE_MARK } = require('internal/errors').codes;
      throw new ERR_INVALID_PERFORMANCE_MARK(m);
    };
    let start;
    let end;
    let detail;
    if (startOrOptions !== null && typeof startOrOptions === 'object') {
      start = find(startOrOptions.start);
      end = find(startOrOptions.end);
      detail = startOrOptions.detail;
      if (end === undefined && startOrOptions.duration !== undefined) end = (start ?? 0) + startOrOptions.duration;
    } else {
      start = find(startOrOptions);
      end = find(endMark);
    }
    start ??= 0;
    end ??= now();
    const entry = new PerformanceEntry(`${name}`, 'measure', start, end - start, detail);
    entries.push(entry);
    return entry;
  }
  getEntries() { return entries.slice(); }
  getEntriesByName(name, type) { return entries.filter((e) => e.name === name && (type === undefined || e.entryType === type)); }
  getEntriesByType(type) { return entries.filter((e) => e.entryType === type); }
  clearMarks(name) { remove('mark', name); }
  clearMeasures(name) { remove('measure', name); }
  toJSON() { return { timeOrigin: this.timeOrigin }; }
  get [Symbol.toStringTag]() { return 'Performance'; }
}

function remove(type, name) {
  for (let i = entries.length - 1; i >= 0; i--) {
    if (entries[i].entryType === type && (name === undefined || entries[i].name === name)) entries.splice(i, 1);
  }
}

const performance = new Performance();

module.exports = { performance, Performance, PerformanceEntry };
