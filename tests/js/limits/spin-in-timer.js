let n = 0;
for (let i = 0; i < 1e6; i++) n += i;
console.log('top level finished');
setTimeout(() => { console.log('timer started'); for (;;) {} }, 5);
