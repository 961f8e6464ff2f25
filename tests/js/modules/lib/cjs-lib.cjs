exports.a = 1; exports.fn = (x) => x + 1; exports.self = () => __filename.split('/').pop();
