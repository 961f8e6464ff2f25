await Promise.resolve(); export const late = true;
