// CPU-bound: integer math, object churn, string building, JSON and regex work.
function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }
let acc = fib(30);
const objs = [];
for (let i = 0; i < 300000; i++) objs.push({ id: i, name: `item-${i}`, tags: [i % 7, i % 11] });
const json = JSON.stringify(objs.slice(0, 50000));
acc += JSON.parse(json).length;
let matches = 0;
const re = /item-(\d+)7$/;
for (const o of objs) if (re.test(o.name)) matches++;
acc += matches;
const sorted = objs.map((o) => (o.id * 2654435761) % 1000003).sort((a, b) => a - b);
acc += sorted[1000];
if (acc === 0) console.log(acc);
