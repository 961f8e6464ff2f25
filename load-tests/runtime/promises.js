// Promise-heavy: a long await chain, Promise.all fan-out, and nextTick/microtask mixing.
async function chain(n) {
  let v = 0;
  for (let i = 0; i < n; i++) v += await Promise.resolve(i);
  return v;
}
async function fanout(n) {
  const ps = [];
  for (let i = 0; i < n; i++) ps.push(new Promise((r) => queueMicrotask(() => r(i))));
  return (await Promise.all(ps)).length;
}
(async () => {
  let total = await chain(1000000);
  for (let round = 0; round < 10; round++) total += await fanout(50000);
  await new Promise((r) => setImmediate(r));
  if (total === 0) console.log(total);
})();
