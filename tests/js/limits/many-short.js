let ticks = 0;
const iv = setInterval(() => { for (let i = 0; i < 1e5; i++); if (++ticks === 20) { clearInterval(iv); console.log('20 short callbacks fit the budget'); } }, 1);
