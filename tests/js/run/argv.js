for (const a of process.argv) console.log(a);
