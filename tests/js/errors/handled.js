process.on('uncaughtException', (err, origin) => {
  console.log(`caught: ${err.message} (${origin})`);
});
process.on('unhandledRejection', (reason) => {
  console.log(`unhandled: ${reason.message}`);
});
setTimeout(() => { throw new Error('from a timer'); }, 1);
Promise.reject(new Error('from a promise'));
setTimeout(() => console.log('still running'), 10);
