const hog = [];
while (true) hog.push(new Array(1e5).fill(Math.random()));
