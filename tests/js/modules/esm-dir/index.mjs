export const where = 'esm-dir/index.mjs';
