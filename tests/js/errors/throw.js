function inner() {
  throw new TypeError('bad input');
}
function outer() { inner(); }
outer();
