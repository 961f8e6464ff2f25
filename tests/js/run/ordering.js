// Node's ordering rules, each part started after the previous one finished so the
// expected output is deterministic: sync code, then the nextTick queue (nested ticks
// before promises), then promise microtasks; inside an I/O callback setImmediate runs
// before setTimeout(0); timers with the same delay run in creation order; unref'ed
// timers do not keep the process alive; 'beforeExit' can schedule more work.
const log = [];
const fs = require('fs');

function part1(next) {
  Promise.resolve().then(() => {
    log.push('promise 1');
    process.nextTick(() => log.push('tick from promise'));
  }).then(() => log.push('promise 2'));
  process.nextTick(() => {
    log.push('tick 1');
    process.nextTick(() => log.push('tick nested'));
    Promise.resolve().then(() => log.push('promise from tick'));
  });
  process.nextTick(() => log.push('tick 2'));
  queueMicrotask(() => log.push('microtask'));
  log.push('sync');
  setTimeout(next, 5);
}

function part2(next) {
  fs.readFile(__filename, () => {
    setTimeout(() => {
      log.push('io: timeout');
      next();
    }, 0);
    setImmediate(() => {
      log.push('io: immediate');
      process.nextTick(() => log.push('io: tick after immediate'));
    });
    process.nextTick(() => log.push('io: tick'));
  });
}

function part3() {
  const t1 = setTimeout(() => log.push('cleared timer ran'), 5);
  clearTimeout(t1);
  let n = 0;
  const iv = setInterval(() => {
    log.push(`interval ${++n}`);
    if (n === 3) {
      clearInterval(iv);
      setTimeout(() => log.push('timer a'), 10);
      setTimeout(() => log.push('timer b'), 10);
    }
  }, 1);
  setTimeout(() => log.push('unref timer ran'), 500).unref();
  const keep = setTimeout(() => log.push('ref again ran'), 60);
  keep.unref();
  keep.ref();
  setImmediate(() => log.push('immediate before timers'));
}

let beforeExitCount = 0;
process.on('beforeExit', () => {
  if (beforeExitCount++ === 0) {
    log.push('beforeExit: schedules more');
    setTimeout(() => log.push('timer from beforeExit'), 1);
  }
});
process.on('exit', (code) => {
  log.push(`exit ${code}`);
  console.log(log.join('\n'));
});

part1(() => part2(part3));
