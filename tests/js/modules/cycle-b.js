const a = require('./cycle-a');
exports.seenByB = a.fromA;
