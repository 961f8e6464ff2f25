module.exports = 'internal via #imports';
