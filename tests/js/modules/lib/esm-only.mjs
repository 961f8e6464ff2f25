export const esmOnly = true;
