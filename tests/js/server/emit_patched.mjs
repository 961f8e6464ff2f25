// The handler of tests/server_h1_wire.rs's instrumentation test: EventEmitter's emit
// is wrapped as the module loads (as tracing and metrics packages do), and what the
// wrap sees of requests and responses is returned by /seen.
import EventEmitter from 'node:events';

const seen = [];
const emit = EventEmitter.prototype.emit;
EventEmitter.prototype.emit = function (type, ...args) {
  if (type === 'finish' || type === 'end' || type === 'close') seen.push(`${this.constructor.name} ${type}`);
  return emit.apply(this, [type, ...args]);
};

export default function (req, res) {
  if (req.url === '/seen') return res.end(JSON.stringify(seen.splice(0)));
  req.resume();
  res.end('ok\n');
}
