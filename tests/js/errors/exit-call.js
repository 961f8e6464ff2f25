process.on('exit', (c) => console.log('exit', c));
setTimeout(() => console.log('never'), 1000);
process.exit(3);
