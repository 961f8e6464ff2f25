process.exitCode = 7;
process.on('exit', (c) => console.log('exit', c));
