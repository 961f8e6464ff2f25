exports.fromA = 'a (partial)';
const b = require('./cycle-b');
exports.fromA = 'a (done)';
exports.seenByA = b.seenByB;
