queueMicrotask(() => { throw new Error('in a microtask'); });
